"""The demo county's data matching (信息比对), for `minzheng demo` (after the cases and payments):
the files other departments deliver, received through the import services, and one match run
whose flags the county officer has started to work.

The demo writes each delivery as its department sends it, then uploads, maps and validates it
as the county officer (张丽萍, `xian`) would on the page:

- 区公安分局: deaths, a GBK CSV with a title row above its headings (an earlier delivery, in
  UTF-8, is superseded by it);
- 区交警大队: motor vehicles, an XLSX;
- 区人社局: salaried employment, a CSV;
- 区残联: the disabled persons' registry, a Parquet file;
- 区市场监管局: business registrations, a CSV;
- 市民政局: the city's roll of assistance programs (the neighbouring 霍邱县's 低保 and 特困, and
  the district's own 高龄津贴 and 护理补贴 rolls, kept outside this system), a CSV;
- 区医保局: hospital stays with high out-of-pocket costs, an XLSX.

True hits among the beneficiaries: the death of a 特困 person supported alone; a death row with
a mistyped ID number and a homophone of the name (for the fuzzy rule); two cars in two 低保
households; a shop; a salary that lifts a household over the standard; a 低保 member also paid
by 霍邱县; a grade-1 disabled member without the care subsidy; and a few persons of 80 and
more missing from the age allowance roll; plus a non-beneficiary's hospital bill. The other rows
are of persons who receive nothing (or who are rightly enrolled), as in a real delivery.

Then one run on DuckDB through the run service, and two of its flags worked by the officer: the
shop confirmed (the case ends), a car dismissed (sold before the data date). Deterministic for a
seed."""

from __future__ import annotations

import csv
import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from stdnum.cn import ric

from minzheng.core.idnumbers import make_id_number
from minzheng.core.models import Role, User
from minzheng.matching.models import ExternalDataset, FlagStatus, MatchFlag, MatchRun
from minzheng.programs.demo import DEMO_VILLAGE
from minzheng.programs.models import Case, CaseMember, CaseStatus
from minzheng.registry.models import Membership, Person

ALREADY = "已有比对数据,跳过信息比对演示数据"
# The demo users' township (苏埠镇, the township of programs.demo.DEMO_VILLAGE).
DEMO_TOWNSHIP_PREFIX = DEMO_VILLAGE[:9]
NEIGHBOUR_COUNTY = "341522"  # 六安市霍邱县
NEIGHBOUR_VILLAGES = ("341522100203", "341522104211", "341522107205", "341522111208")
OUTSIDE_AREAS = ("341502", "341522", "341523", "342401", "340104", "320311")

# Characters read the same (or nearly) that a clerk may type for one another.
HOMOPHONES = {
    "丽": "莉",
    "莉": "丽",
    "明": "铭",
    "华": "桦",
    "英": "瑛",
    "芳": "方",
    "军": "君",
    "伟": "玮",
    "红": "宏",
    "兰": "岚",
    "梅": "玫",
    "秀": "绣",
    "国": "帼",
    "文": "雯",
    "建": "健",
    "平": "萍",
    "强": "墙",
    "玉": "钰",
    "霞": "侠",
    "凤": "峰",
    "珍": "真",
    "春": "纯",
    "林": "琳",
    "敏": "闽",
    "静": "静",
    "云": "芸",
    "桂": "贵",
    "海": "海",
    "志": "智",
    "德": "得",
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华国志玉红梅德春花海燕东凤子浩欣宇"
DISABILITY_LABELS = {
    "visual": "视力残疾",
    "hearing": "听力残疾",
    "speech": "言语残疾",
    "physical": "肢体残疾",
    "intellectual": "智力残疾",
    "mental": "精神残疾",
    "multiple": "多重残疾",
}
HOSPITALS = ("六安市人民医院", "裕安区人民医院", "六安市中医院", "安徽医科大学第一附属医院")
EMPLOYERS = (
    "六安市恒远建筑劳务有限公司",
    "安徽裕丰食品有限公司",
    "六安江淮电机有限公司",
    "裕安区城市管理局(编外)",
    "六安市顺达物流有限公司",
)
EXEMPT_VEHICLES = ("普通二轮摩托车", "轻便二轮摩托车", "正三轮摩托车")
CARS = ("小型轿车", "小型普通客车", "小型越野客车", "轻型普通货车")


@dataclass
class DemoMatchingResult:
    skipped: bool = False
    datasets: int = 0
    rows: int = 0
    run_number: str = ""
    flags: dict[str, int] = field(default_factory=dict)
    confirmed: int = 0
    dismissed: int = 0
    seconds: float = 0.0
    # rule -> the person id (or ids) the demo planted its hit on
    planted: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        if self.skipped:
            return ALREADY
        from minzheng.matching.rules import RULES

        per_rule = "、".join(
            f"{RULES[code].label} {n}" for code, n in self.flags.items() if code in RULES
        )
        return (
            f"已生成信息比对:比对数据 {self.datasets} 批({self.rows} 行,其中 1 批已被新数据替代)、"
            f"比对批次 {self.run_number}(用时 {self.seconds:.1f} 秒)、疑点 "
            f"{sum(self.flags.values())} 条({per_rule});已核实属实 {self.confirmed} 条、"
            f"核实不属实 {self.dismissed} 条"
        )


@dataclass(frozen=True)
class Member:
    """A counted member of a paying case, as the demo picks them."""

    person: Person
    case: Case
    counted_members: int


@dataclass
class Delivery:
    kind: str
    source: str
    data_date: datetime.date
    file_name: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    title: str = ""
    note: str = ""


# --- who the files talk about ------------------------------------------------------------------


class People:
    """Persons who are not in the registry (valid, unique ID numbers), and names."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.taken = taken

    def name(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def outsider(self, *, low: int = 20, high: int = 90) -> tuple[str, str, str, datetime.date]:
        """(ID number, name, sex label, birth date) of someone the county does not know."""
        while True:
            birth = datetime.date(2026 - self.rng.randint(low, high), 1, 1) + datetime.timedelta(
                days=self.rng.randrange(365)
            )
            area = self.rng.choice(OUTSIDE_AREAS)
            if birth.year < 2000 and area.startswith("3415"):
                area = "342401"
            number = make_id_number(area, birth, self.rng.randrange(1, 1000))
            if number not in self.taken:
                self.taken.add(number)
                return number, self.name(), _sex_label(number), birth


def _sex_label(number: str) -> str:
    return "男" if int(number[16]) % 2 else "女"


def _beneficiaries(county: str) -> list[Member]:
    """Counted living members of the county's paying 低保 and 特困 cases, by case and person."""
    members = (
        CaseMember.objects.filter(
            counted=True,
            case__status=CaseStatus.ACTIVE,
            case__program__in=("dibao_rural", "dibao_urban", "tekun"),
            case__region_code__startswith=county,
            person__death_date__isnull=True,
        )
        .select_related("case", "person")
        .order_by("case_id", "person_id")
    )
    counted: dict[int, int] = {}
    rows = list(members)
    for m in rows:
        counted[m.case_id] = counted.get(m.case_id, 0) + 1
    return [Member(m.person, m.case, counted[m.case_id]) for m in rows]


def _residents(county: str) -> list[Person]:
    """Living persons whose household (else hukou) lies in the county, as the run's snapshot
    takes them (matching.snapshot.residents_sql)."""
    households = dict(
        Membership.objects.filter(valid_to__isnull=True).values_list(
            "person_id", "household__region_code"
        )
    )
    living = Person.objects.filter(death_date__isnull=True).order_by("id")
    return [p for p in living if households.get(p.pk, p.region_code).startswith(county)]


class Picker:
    """Picks beneficiaries for the hits: each from a different household while there are;
    every other one in the demo township (苏埠镇), so that its clerk (`zhen`) has flags to
    work too."""

    def __init__(self, rng: random.Random, members: list[Member], as_of: datetime.date) -> None:
        self.rng = rng
        self.members = members
        self.as_of = as_of
        self.households: set[int] = set()
        self.persons: set[int] = set()
        self.picks = 0

    def age(self, person: Person) -> int:
        b = person.birth_date
        return self.as_of.year - b.year - ((self.as_of.month, self.as_of.day) < (b.month, b.day))

    def pick(self, *, test: Any = None, programs: Sequence[str] = ()) -> Member | None:
        """A member of `programs` passing `test`; failing that (a small county), any member of
        `programs`, then anyone."""
        return (
            self._pick(test, programs)
            or (self._pick(None, programs) if test is not None else None)
            or (self._pick(None, ()) if programs else None)
        )

    def _pick(self, test: Any, programs: Sequence[str]) -> Member | None:
        pool = [
            m
            for m in self.members
            if m.person.pk not in self.persons
            and (not programs or m.case.program in programs)
            and (test is None or test(m))
        ]
        fresh = [m for m in pool if m.case.household_id not in self.households] or pool
        self.picks += 1
        local = [m for m in fresh if m.case.region_code.startswith(DEMO_TOWNSHIP_PREFIX)]
        if local and self.picks % 2:
            fresh = local
        chosen = self.rng.choice(fresh) if fresh else None
        if chosen is not None:
            self.households.add(chosen.case.household_id)
            self.persons.add(chosen.person.pk)
        return chosen


def _mistype(number: str) -> str:
    """The ID number with one digit of its sequence typed wrong: its check digit fails."""
    for position in (15, 14, 16, 13):
        wrong = number[:position] + str((int(number[position]) + 3) % 10) + number[position + 1 :]
        if not ric.is_valid(wrong):
            return wrong
    return number[:17] + ("0" if number[17] != "0" else "1")


def _homophone(name: str) -> str:
    for i in range(len(name) - 1, 0, -1):
        other = HOMOPHONES.get(name[i])
        if other and other != name[i]:
            return name[:i] + other + name[i + 1 :]
    return name


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "皖N" + rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(4))


def _uscc(rng: random.Random, county: str) -> str:
    """A 统一社会信用代码 of a 个体工商户 (92 + area + registration code), with its check."""
    from stdnum.cn import uscc

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "92" + county + "MA" + "".join(rng.choice(alphabet) for _ in range(7))
    return body + uscc.calc_check_digit(body)


def _ymd(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# --- the deliveries ----------------------------------------------------------------------------


def _deliveries(
    county: str, seed: int, as_of: datetime.date
) -> tuple[list[Delivery], dict[str, Any]]:
    """Every delivery's rows, and the persons the hits were planted on (for the flags worked
    afterwards and the tests)."""
    rng = random.Random(f"{seed}:matching")
    members = _beneficiaries(county)
    picker = Picker(rng, members, as_of)
    residents = _residents(county)
    beneficiary_ids = {m.person.pk for m in members}
    others = [p for p in residents if p.pk not in beneficiary_ids]
    people = People(rng, set(Person.objects.values_list("id_number", flat=True)))
    village_of = {m.person.pk: m.case.region_code for m in members}
    planted: dict[str, Any] = {}
    month_end = as_of.replace(day=1) - datetime.timedelta(days=1)

    def sole(m: Member) -> bool:
        return m.counted_members == 1

    def adult(m: Member) -> bool:
        return 22 <= picker.age(m.person) <= 60

    # deaths: the 特困 person supported alone, and a row the police typed wrong
    tekun = picker.pick(programs=("tekun",), test=sole)
    fuzzy = picker.pick(
        programs=("dibao_rural", "dibao_urban"),
        test=lambda m: _homophone(m.person.name) != m.person.name,
    )
    headers = [
        "序号",
        "姓名",
        "性别",
        "公民身份号码",
        "出生日期",
        "死亡日期",
        "死亡地点",
        "户籍地区划代码",
    ]
    earlier = Delivery(
        "death",
        "裕安区公安分局户政科",
        month_end.replace(day=1) - datetime.timedelta(days=1),
        f"死亡人员名单{(month_end.replace(day=1) - datetime.timedelta(days=1)):%Y%m}.csv",
        headers,
        note="上月报送",
    )
    deaths = Delivery(
        "death",
        "裕安区公安分局户政科",
        month_end,
        f"裕安分局死亡人员{month_end:%Y%m}.csv",
        headers,
        title=f"裕安区公安分局户籍人口死亡注销名单(截至{_ymd(month_end)})",
        note="GBK编码,首行为标题",
    )
    places = ("家中", "六安市人民医院", "裕安区人民医院", "镇卫生院", "敬老院")
    death_rows: list[list[Any]] = []
    if tekun:
        p = tekun.person
        died = month_end - datetime.timedelta(days=9)
        death_rows.append(
            [
                p.name,
                "男" if p.sex == "M" else "女",
                p.id_number,
                _ymd(p.birth_date),
                _ymd(died),
                "敬老院" if tekun.case.support_mode == "centralized" else "家中",
                village_of[p.pk],
            ]
        )
        planted["death_id"] = p.pk
    if fuzzy:
        p = fuzzy.person
        died = month_end - datetime.timedelta(days=17)
        death_rows.append(
            [
                _homophone(p.name),
                "男" if p.sex == "M" else "女",
                _mistype(p.id_number),
                _ymd(p.birth_date),
                _ymd(died),
                "六安市人民医院",
                village_of[p.pk],
            ]
        )
        planted["death_fuzzy"] = p.pk
    for person in rng.sample(others, min(6, len(others))):
        died = month_end - datetime.timedelta(days=rng.randrange(28))
        death_rows.append(
            [
                person.name,
                "男" if person.sex == "M" else "女",
                person.id_number,
                _ymd(person.birth_date),
                _ymd(died),
                rng.choice(places),
                person.region_code,
            ]
        )
    for _ in range(18):
        number, name, sex, birth = people.outsider(low=55, high=98)
        died = month_end - datetime.timedelta(days=rng.randrange(28))
        death_rows.append([name, sex, number, _ymd(birth), _ymd(died), rng.choice(places), ""])
    rng.shuffle(death_rows)
    deaths.rows = [[i, *row] for i, row in enumerate(death_rows, start=1)]
    for i in range(1, 11):
        number, name, sex, birth = people.outsider(low=60, high=95)
        died = earlier.data_date - datetime.timedelta(days=rng.randrange(28))
        earlier.rows.append(
            [i, name, sex, number, f"{birth:%Y-%m-%d}", f"{died:%Y-%m-%d}", rng.choice(places), ""]
        )

    # vehicles: two cars in two 低保 households; motorcycles (exempt) and others' cars
    vehicles = Delivery(
        "vehicle",
        "裕安区公安分局交警大队车管所",
        month_end,
        f"机动车登记信息{month_end:%Y%m}.xlsx",
        ["号牌号码", "车辆类型", "车主", "证件号码", "初次登记日期", "购置价"],
    )
    planted["vehicle"] = []
    for kind, value in (("小型轿车", "128000.00"), ("小型普通客车", "65800.00")):
        m = picker.pick(programs=("dibao_rural", "dibao_urban"), test=adult)
        if m:
            bought = as_of - datetime.timedelta(days=rng.randrange(200, 900))
            vehicles.rows.append(
                [_plate(rng), kind, m.person.name, m.person.id_number, bought, Decimal(value)]
            )
            planted["vehicle"].append(m.person.pk)
    for m in rng.sample(members, min(2, len(members))):
        vehicles.rows.append(
            [
                _plate(rng),
                rng.choice(EXEMPT_VEHICLES),
                m.person.name,
                m.person.id_number,
                as_of - datetime.timedelta(days=rng.randrange(300, 3000)),
                Decimal("4200.00"),
            ]
        )
    for person in rng.sample(others, min(10, len(others))):
        vehicles.rows.append(
            [
                _plate(rng),
                rng.choice(CARS),
                person.name,
                person.id_number,
                as_of - datetime.timedelta(days=rng.randrange(100, 3000)),
                Decimal(rng.randrange(45000, 260000, 100)),
            ]
        )

    # business: a shop run by a 低保 member; others' shops and companies
    business = Delivery(
        "business",
        "裕安区市场监督管理局",
        month_end,
        f"市场主体登记{month_end:%Y%m}.csv",
        [
            "统一社会信用代码",
            "企业名称",
            "类型",
            "法定代表人",
            "证件号码",
            "注册资本",
            "登记状态",
            "成立日期",
        ],
    )
    # rural: the demo confirms this one and the case ends; 城市低保 may have a single case
    shop = picker.pick(programs=("dibao_rural",), test=adult)
    if shop:
        business.rows.append(
            [
                _uscc(rng, county),
                f"裕安区{shop.person.name}百货便利店",
                "个体工商户",
                shop.person.name,
                shop.person.id_number,
                "50000",
                "存续",
                f"{as_of - datetime.timedelta(days=400):%Y-%m-%d}",
            ]
        )
        planted["business"] = shop.person.pk
    trades = ("农资经营部", "小吃店", "建材店", "家电维修部", "养殖专业合作社")
    for person in rng.sample(others, min(8, len(others))):
        business.rows.append(
            [
                _uscc(rng, county),
                f"裕安区{person.name}{rng.choice(trades)}",
                "个体工商户",
                person.name,
                person.id_number,
                str(rng.randrange(10, 200) * 1000),
                rng.choice(("存续", "存续", "在营(开业)", "注销")),
                f"{as_of - datetime.timedelta(days=rng.randrange(100, 3000)):%Y-%m-%d}",
            ]
        )

    # employment: a salary that lifts a 低保 household over the standard; others' wages
    employment = Delivery(
        "employment",
        "裕安区人力资源和社会保障局",
        month_end,
        f"企业职工参保缴费{month_end:%Y%m}.csv",
        ["姓名", "身份证号", "单位名称", "缴费基数", "费款所属期"],
    )
    earner = picker.pick(programs=("dibao_rural", "dibao_urban"), test=adult)
    if earner:
        wage = Decimal(790 * earner.counted_members + 2400)
        employment.rows.append(
            [
                earner.person.name,
                earner.person.id_number,
                rng.choice(EMPLOYERS),
                f"{wage:.2f}",
                f"{month_end:%Y%m}",
            ]
        )
        planted["salary"] = earner.person.pk
    for person in rng.sample(others, min(15, len(others))):
        employment.rows.append(
            [
                person.name,
                person.id_number,
                rng.choice(EMPLOYERS),
                f"{Decimal(rng.randrange(2200, 8000, 50)):.2f}",
                f"{month_end:%Y%m}",
            ]
        )
    for _ in range(10):
        number, name, _sex, _birth = people.outsider(low=20, high=58)
        employment.rows.append(
            [
                name,
                number,
                rng.choice(EMPLOYERS),
                f"{Decimal(rng.randrange(2200, 9000, 50)):.2f}",
                f"{month_end:%Y%m}",
            ]
        )

    # the disabled persons' registry: everyone the registry knows as disabled, and a grade-1
    # beneficiary the bureau's registry does not know as such
    disabled = Delivery(
        "disability",
        "裕安区残疾人联合会",
        month_end,
        f"残疾人基础数据{month_end:%Y%m}.parquet",
        ["姓名", "身份证号", "残疾类别", "残疾等级", "残疾证号"],
    )
    known = [p for p in residents if p.disability_grade]
    for p in known:
        disabled.rows.append(
            [
                p.name,
                p.id_number,
                DISABILITY_LABELS.get(p.disability_category, "肢体残疾"),
                int(p.disability_grade or 4),
                p.disability_certificate or f"{p.id_number}4{p.disability_grade}",
            ]
        )
    severe = picker.pick(test=lambda m: not m.person.disability_grade)
    if severe:
        p = severe.person
        disabled.rows.append([p.name, p.id_number, "肢体残疾", 1, f"{p.id_number}41"])
        planted["disability_care_missing"] = p.pk

    # the city's roll of assistance programs
    enrollment = Delivery(
        "program_enrollment",
        "六安市民政局(各县区救助保障名册)",
        month_end,
        f"六安市救助保障对象名册{month_end:%Y%m}.csv",
        ["姓名", "身份证号码", "救助类别", "保障地", "享受起始年月", "保障金额"],
        note="含霍邱县低保、特困名册及本区高龄津贴、重度残疾人护理补贴名册",
    )
    double = picker.pick(programs=("dibao_rural",))
    if double:
        enrollment.rows.append(
            [
                double.person.name,
                double.person.id_number,
                "农村低保",
                NEIGHBOUR_VILLAGES[0],
                f"{as_of.year - 1}07",
                "465.00",
            ]
        )
        planted["double_enrollment"] = double.person.pk
    for _ in range(12):
        number, name, _sex, _birth = people.outsider(low=25, high=90)
        enrollment.rows.append(
            [
                name,
                number,
                rng.choice(("农村低保", "农村低保", "城市低保", "特困供养")),
                rng.choice(NEIGHBOUR_VILLAGES),
                f"{as_of.year - rng.randint(1, 6)}{rng.randint(1, 12):02d}",
                f"{Decimal(rng.randrange(300, 1100)):.2f}",
            ]
        )
    left_out = severe.person.id_number if severe else None
    for row in disabled.rows:
        if row[3] in (1, 2) and row[1] != left_out:
            enrollment.rows.append(
                [
                    row[0],
                    row[1],
                    "重度残疾人护理补贴",
                    county + "000000",
                    f"{as_of.year - 2}01",
                    "80.00",
                ]
            )
    elderly = [p for p in residents if picker.age(p) >= 80]
    missing = set(rng.sample([p.pk for p in elderly], min(3, len(elderly))))
    planted["age_allowance_missing"] = sorted(missing)
    for p in elderly:
        if p.pk not in missing:
            amount = "100.00" if picker.age(p) < 90 else "300.00"
            enrollment.rows.append(
                [
                    p.name,
                    p.id_number,
                    "高龄津贴",
                    p.region_code or county + "000000",
                    f"{p.birth_date.year + 80}{p.birth_date.month:02d}",
                    amount,
                ]
            )

    # hospital stays: a resident outside the rolls with a large bill; others
    hospital = Delivery(
        "hospital",
        "裕安区医疗保障局",
        month_end,
        f"住院费用结算{month_end:%Y%m}.xlsx",
        ["姓名", "身份证号", "医院名称", "结算日期", "总费用", "个人自付"],
    )
    if others:
        patient = rng.choice(others)
        hospital.rows.append(
            [
                patient.name,
                patient.id_number,
                HOSPITALS[3],
                month_end - datetime.timedelta(days=5),
                Decimal("98650.20"),
                Decimal("36580.50"),
            ]
        )
        planted["hospital_high_cost"] = patient.pk
    for m in rng.sample(members, min(3, len(members))):
        total = Decimal(rng.randrange(30000, 90000))
        hospital.rows.append(
            [
                m.person.name,
                m.person.id_number,
                rng.choice(HOSPITALS),
                month_end - datetime.timedelta(days=rng.randrange(28)),
                total,
                (total * Decimal("0.3")).quantize(Decimal("0.01")),
            ]
        )
    for person in rng.sample(others, min(8, len(others))):
        total = Decimal(rng.randrange(3000, 30000))
        hospital.rows.append(
            [
                person.name,
                person.id_number,
                rng.choice(HOSPITALS),
                month_end - datetime.timedelta(days=rng.randrange(28)),
                total,
                (total * Decimal("0.25")).quantize(Decimal("0.01")),
            ]
        )
    return [
        earlier,
        deaths,
        vehicles,
        business,
        employment,
        disabled,
        enrollment,
        hospital,
    ], planted


# --- files -------------------------------------------------------------------------------------


def _write(delivery: Delivery, folder: Path) -> Path:
    path = folder / delivery.file_name
    suffix = path.suffix.lower()
    if suffix == ".csv":
        gbk = bool(delivery.title)
        with path.open("w", newline="", encoding="gbk" if gbk else "utf-8-sig") as f:
            writer = csv.writer(f)
            if delivery.title:
                writer.writerow([delivery.title] + [""] * (len(delivery.headers) - 1))
            writer.writerow(delivery.headers)
            writer.writerows(delivery.rows)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Sheet1"
        sheet.append(delivery.headers)
        for row in delivery.rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        book.save(path)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = (
            list(zip(*delivery.rows, strict=True))
            if delivery.rows
            else [()] * len(delivery.headers)
        )
        table = pa.table({h: list(c) for h, c in zip(delivery.headers, columns, strict=True)})
        pq.write_table(table, path)
    return path


def _receive(actor: User, delivery: Delivery, path: Path, county: str) -> ExternalDataset:
    """Upload, map (the guessed mapping, as the officer accepts it) and validate."""
    from minzheng.matching.services.datasets import dataset_map, dataset_upload, dataset_validate

    dataset = dataset_upload(
        actor=actor,
        kind=delivery.kind,
        source=delivery.source,
        data_date=delivery.data_date,
        file=path,
        file_name=delivery.file_name,
        region_code=county + "000000",
        note=delivery.note,
    )
    dataset = dataset_map(actor=actor, dataset=dataset, mapping=dict(dataset.column_mapping))
    return dataset_validate(dataset)


def _officer(county: str) -> User:
    officer = User.objects.filter(username="xian", role=Role.COUNTY_OFFICER).first()
    if officer is None or not (officer.region_id or "").startswith(county):
        officer = (
            User.objects.filter(role=Role.COUNTY_OFFICER, region_id__startswith=county)
            .order_by("id")
            .first()
        )
    if officer is None:
        raise LookupError(f"no county officer for {county}")
    return officer


def _work(actor: User, run: MatchRun, planted: dict[str, Any]) -> tuple[int, int]:
    """The officer confirms the shop (the household's business income is over the standard:
    the case ends) and dismisses the second car (sold before the data date). The deaths stay
    open for the villages to check."""
    from minzheng.matching.services.flags import flag_confirm, flag_dismiss

    confirmed = dismissed = 0
    flags = MatchFlag.objects.filter(run=run, status=FlagStatus.OPEN)
    owner = planted.get("business")
    shop = flags.filter(rule="business", person_id=owner).first() if owner else None
    if shop is not None:
        flag_confirm(
            actor=actor,
            flag=shop,
            outcome="terminate",
            reason="经入户核查,该户经营百货便利店,月经营净收入超过低保标准,不再符合保障条件",
            findings="查看营业执照和近三个月流水,月均经营净收入约2600元",
        )
        confirmed += 1
    cars = planted.get("vehicle") or []
    car = flags.filter(rule="vehicle", person_id=cars[-1]).first() if cars else None
    if car is not None:
        flag_dismiss(
            actor=actor,
            flag=car,
            reason="该车辆已于数据截止日前过户他人,当事人提供了机动车转移登记证明,家庭名下无车",
        )
        dismissed += 1
    return confirmed, dismissed


def demo_matching(
    *, county_code: str, seed: int, as_of: datetime.date | None = None
) -> DemoMatchingResult:
    """The deliveries, one run and two worked flags for the demo county `county_code` (6 or 12
    digits). A county that has datasets already is left alone."""
    from minzheng.matching.services.runs import run_execute, run_start

    county = county_code[:6]
    result = DemoMatchingResult()
    if ExternalDataset.objects.filter(region_code__startswith=county).exists():
        result.skipped = True
        return result
    if not _beneficiaries(county):
        result.skipped = True
        return result
    as_of = as_of or timezone.localdate()
    actor = _officer(county)
    deliveries, planted = _deliveries(county, seed, as_of)
    result.planted = planted
    folder = Path(settings.MATCHING_DIR) / "demo-files" / county
    folder.mkdir(parents=True, exist_ok=True)
    for delivery in deliveries:
        dataset = _receive(actor, delivery, _write(delivery, folder), county)
        result.datasets += 1
        result.rows += dataset.total_rows
    started = timezone.now()
    run = run_start(actor=actor, region_code=county + "000000", engine="duckdb", enqueue=False)
    run = run_execute(run)
    result.seconds = (timezone.now() - started).total_seconds()
    result.run_number = run.number
    counts: dict[str, int] = {}
    for rule in MatchFlag.objects.filter(run=run).values_list("rule", flat=True):
        counts[rule] = counts.get(rule, 0) + 1
    result.flags = dict(sorted(counts.items()))
    result.confirmed, result.dismissed = _work(actor, run, planted)
    return result
