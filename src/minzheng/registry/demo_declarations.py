"""The income and asset declarations (家庭经济状况申报) of the demo households a bureau surveyed:
about 30% of households, more often those with elderly, disabled or seriously ill members.
Amounts are monthly, in yuan, at the level of rural Anhui in the mid-2020s."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from stdnum.cn import uscc

from minzheng.registry.bulk import PersonRow
from minzheng.registry.demo_families import founding_date
from minzheng.registry.demo_names import SHOPS, VEHICLES
from minzheng.registry.demo_regions import Place

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MIGRANT_CITIES = ("上海", "苏州", "杭州", "合肥", "南京", "宁波", "深圳", "无锡")
URBAN_JOBS = ("企业职工", "商场营业员", "快递员", "保安", "餐饮服务员", "建筑工人", "教师")


@dataclass(frozen=True)
class IncomePlan:
    member: int  # index in the household's members
    kind: str
    monthly_amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class AssetPlan:
    member: int | None
    kind: str
    value: Decimal
    area: Decimal | None = None
    registration_number: str = ""
    description: str = ""


@dataclass
class DeclarationPlan:
    declared_on: datetime.date
    incomes: list[IncomePlan] = field(default_factory=list)
    assets: list[AssetPlan] = field(default_factory=list)
    note: str = ""


def birth_of(id_number: str) -> datetime.date:
    """The birth date in a valid 18-digit number (without stdnum's cleaning: it is hot)."""
    return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def _yuan(value: float, step: int = 10) -> Decimal:
    return Decimal(max(step, int(value // step) * step))


def _lognormal(rng: random.Random, median: float, sigma: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, median * rng.lognormvariate(0, sigma)))


def business_uscc(rng: random.Random, county: str, kind: str = "92") -> str:
    """A valid unified social credit code of a business registered in `county`: 92 individual
    business (个体工商户), 93 farmers' cooperative; organisation part 'MA' + 7 characters."""
    first17 = f"{kind}{county}MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(7))
    return first17 + uscc.calc_check_digit(first17 + "0")


class _Declarer:
    def __init__(self, rng: random.Random, place: Place, declared_on: datetime.date) -> None:
        self.rng, self.place, self.day = rng, place, declared_on
        self.plan = DeclarationPlan(declared_on=declared_on)

    def income(self, member: int, kind: str, amount: float, note: str, step: int = 10) -> None:
        self.plan.incomes.append(IncomePlan(member, kind, _yuan(amount, step), note))

    def asset(
        self,
        member: int | None,
        kind: str,
        value: float,
        *,
        area: int | None = None,
        registration_number: str = "",
        description: str = "",
    ) -> None:
        plan = AssetPlan(
            member,
            kind,
            _yuan(value, 100),
            Decimal(area) if area is not None else None,
            registration_number,
            description,
        )
        self.plan.assets.append(plan)

    def work(self, i: int, person: PersonRow, age: int) -> None:
        r, rng = self.rng.random(), self.rng
        if self.place.urban:
            if r < 0.65:
                job = rng.choice(URBAN_JOBS)
                self.income(i, "wages", _lognormal(rng, 4200, 0.35, 2060, 15000), job)
            elif r < 0.8:
                self.income(i, "business", _lognormal(rng, 5000, 0.5, 1500, 20000), "个体经营")
            return
        if r < 0.5:
            city = rng.choice(MIGRANT_CITIES)
            self.income(i, "wages", _lognormal(rng, 4800, 0.3, 2500, 12000), f"外出务工({city})")
            if rng.random() < 0.1:
                self.income(i, "deduction_job", 206, "就业成本(最低工资的10%)", step=1)
        elif r < 0.7:
            self.income(i, "wages", _lognormal(rng, 2600, 0.3, 1500, 6000), "本地务工")
        elif r < 0.95:
            self.income(i, "business", _lognormal(rng, 900, 0.5, 200, 4000), "种植业(水稻、油菜)")

    def old_age(self, i: int, person: PersonRow, age: int) -> None:
        rng = self.rng
        if self.place.urban and rng.random() < 0.55:
            self.income(i, "transfers", _lognormal(rng, 2900, 0.25, 1600, 7000), "城镇职工养老金")
        else:
            self.income(i, "basic_pension", rng.choice((143, 158, 173)), "城乡居民基础养老金", 1)
            if rng.random() < 0.5:
                self.income(i, "transfers", rng.randint(10, 60), "个人账户养老金", step=1)
        if not self.place.urban and person.labour_capacity == "partial" and rng.random() < 0.4:
            self.income(i, "business", _lognormal(rng, 500, 0.4, 100, 1500), "种植业")
        if rng.random() < 0.08:
            self.income(i, "family_planning_reward", 80, "农村部分计划生育家庭奖励扶助", 1)
        if person.id_number[16] in "13579" and rng.random() < 0.006:
            self.income(i, "veterans_pension", rng.randint(1000, 2500), "在乡退役军人定期补助")

    def member(self, i: int, person: PersonRow, age: int) -> None:
        rng = self.rng
        if age >= 60:
            self.old_age(i, person, age)
        elif age >= 18 and person.labour_capacity == "full":
            studying = age <= 22 and person.education in ("college", "bachelor")
            if not studying:
                self.work(i, person, age)
            elif rng.random() < 0.4:
                self.income(i, "scholarship", 275, "国家助学金", step=1)
        elif age >= 16 and person.labour_capacity == "partial" and rng.random() < 0.4:
            self.income(i, "wages", _lognormal(rng, 1200, 0.3, 500, 2500), "打零工")
        if person.disability_grade in (1, 2):
            self.income(i, "government_assistance", 90, "重度残疾人护理补贴", step=1)
        if person.serious_illness or person.disability_grade in (1, 2):
            amount = _lognormal(rng, 900 if person.serious_illness else 250, 0.6, 80, 5000)
            note = f"{person.serious_illness or '残疾'}自付医疗费用"
            self.income(i, "deduction_medical", amount, note)

    def household_incomes(self, present: list[int], ages: list[int]) -> None:
        rng = self.rng
        if all(ages[i] >= 60 for i in present) and rng.random() < 0.55:
            self.income(present[0], "transfers", _lognormal(rng, 500, 0.5, 100, 2000), "子女赡养费")
        if not self.place.urban and rng.random() < 0.25:
            self.income(present[0], "property", rng.randint(40, 250), "土地流转收入", step=1)
        if rng.random() < 0.05:
            self.income(present[0], "property", rng.randint(400, 2000), "房屋出租收入")
        if rng.random() < 0.02:
            self.income(present[0], "other", rng.randint(300, 1000), "其他收入(零星劳务)")

    def assets(self, present: list[int], ages: list[int]) -> None:
        rng, urban, head = self.rng, self.place.urban, present[0]
        if rng.random() < 0.85:
            deposit = _lognormal(rng, 40000 if urban else 15000, 1.0, 300, 800_000)
            self.asset(head, "deposit", deposit, description="银行存款")
            if deposit > 50000:
                self.income(head, "property", deposit * 0.015 / 12, "存款利息", step=1)
        if rng.random() < 0.05:
            self.asset(head, "insurance", rng.randint(3000, 30000), description="商业保险现金价值")
        if rng.random() < (0.02 if urban else 0.005):
            self.asset(head, "securities", rng.randint(5000, 80000), description="股票")
        drivers = [i for i in present if 18 <= ages[i] <= 65]
        if drivers and rng.random() < (0.2 if urban else 0.12):
            self.vehicle(rng.choice(drivers))
        if not urban and rng.random() < 0.2:
            self.asset(head, "vehicle", rng.randint(1500, 4000), description="电动三轮车")
        self.houses(head)
        if drivers and rng.random() < 0.03:
            kind, what = ("93", "农民专业合作社") if rng.random() < 0.15 else ("92", "个体工商户")
            number = business_uscc(rng, self.place.county, kind)
            capital = rng.randint(1, 20) * 10000
            description = f"{what}({rng.choice(SHOPS)}),注册资金{capital}元"
            self.asset(
                rng.choice(drivers),
                "business",
                capital,
                registration_number=number,
                description=description,
            )

    def vehicle(self, owner: int) -> None:
        rng = self.rng
        kind, lo, hi = rng.choice(VEHICLES)
        bought = rng.randint(self.day.year - 12, self.day.year)
        value = rng.randint(lo, hi) * 0.88 ** (self.day.year - bought)
        plate = self.place.plate + "".join(
            rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5)
        )
        self.asset(
            owner,
            "vehicle",
            value,
            registration_number=plate,
            description=f"{kind}({bought}年购置)",
        )

    def houses(self, head: int) -> None:
        rng, urban = self.rng, self.place.urban
        if rng.random() < (0.75 if urban else 0.9):
            area = rng.randint(60, 140) if urban else rng.randint(90, 220)
            value = area * (rng.randint(4500, 7000) if urban else rng.randint(600, 1200))
            self.asset(
                head,
                "real_estate",
                value,
                area=area,
                registration_number=self.deed(),
                description="商品房" if urban else "自建房(宅基地)",
            )
        if not urban and rng.random() < 0.12:
            area = rng.randint(70, 130)
            value = area * rng.randint(4500, 6500)
            self.asset(
                head,
                "real_estate",
                value,
                area=area,
                registration_number=self.deed(),
                description="城区商品房",
            )

    def deed(self) -> str:
        """不动产权证号, e.g. 皖(2021)六安市不动产权第0012345号."""
        year = self.rng.randint(max(2016, self.day.year - 8), self.day.year)
        n = self.rng.randint(1, 60000)
        return f"{self.place.plate[0]}({year}){self.place.deeds}不动产权第{n:07d}号"


def _survey_share(members: list[tuple[PersonRow, str]], as_of: datetime.date) -> float:
    """Bureaus survey the households that may need help: elderly, disabled, ill, alone."""
    head = members[0][0]
    head_age = as_of.year - int(head.id_number[6:10])
    frail = any(p.disability_grade or p.serious_illness for p, _ in members)
    return 0.18 + 0.3 * frail + 0.12 * (head_age >= 65) + 0.08 * (len(members) == 1)


def declaration_plan(
    *,
    rng: random.Random,
    as_of: datetime.date,
    place: Place,
    members: list[tuple[PersonRow, str]],
) -> DeclarationPlan | None:
    """The declaration the household made, or None if it was not surveyed."""
    if rng.random() >= _survey_share(members, as_of):
        return None
    earliest = founding_date(as_of) + datetime.timedelta(days=1)
    day = max(earliest, as_of - datetime.timedelta(days=rng.randint(7, 540)))
    births = [birth_of(p.id_number) for p, _ in members]
    ages = [day.year - b.year - ((day.month, day.day) < (b.month, b.day)) for b in births]
    present = [
        i
        for i, (p, _) in enumerate(members)
        if births[i] <= day and (p.death_date is None or p.death_date > day)
    ]
    declarer = _Declarer(rng, place, day)
    for i in present:
        declarer.member(i, members[i][0], ages[i])
    declarer.household_incomes(present, ages)
    declarer.assets(present, ages)
    return declarer.plan
