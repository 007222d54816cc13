"""What each kind of external dataset (外部比对数据) holds: its columns, their types, which are
required, and the headings departments commonly give them (for the column mapping screen).

A dataset is stored after import as one Parquet file with the canonical columns below plus
`row_no` (the row's number in the delivered file, as a clerk sees it in Excel), `id_valid` (the
ID number passes python-stdnum's check) and, derived where the file does not give them, `sex`
and `birth_date` from a valid ID number. Pure data: no Django models here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise


class ColumnType(StrEnum):
    ID_NUMBER = "id_number"  # 18-character resident ID (居民身份证号码), may be missing or wrong
    TEXT = "text"
    DATE = "date"  # 2026-11-01, 2026/11/1, 20261101, 2026年11月1日, Excel dates
    MONTH = "month"  # 2026-11, 202611, 2026年11月 (stored as the first day)
    DECIMAL = "decimal"  # yuan or square metres, two places
    INTEGER = "integer"
    REGION = "region"  # 12-digit division code (6-digit county codes are padded)
    SEX = "sex"  # 男/女/M/F/1/2 -> M/F


@dataclass(frozen=True)
class Column:
    name: str
    label: StrOrPromise  # Chinese heading shown on the mapping screen
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    # Headings seen in departments' files, matched after stripping spaces and case.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetSchema:
    kind: str
    label: StrOrPromise
    provider: StrOrPromise  # the department that usually delivers it
    columns: tuple[Column, ...]
    description: str = ""
    # The identity columns every kind shares are put first; `columns` holds them too.
    key_columns: tuple[str, ...] = field(default=("id_number",))

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


ID_ALIASES = (
    "身份证号",
    "身份证号码",
    "公民身份号码",
    "证件号码",
    "证件号",
    "身份证",
    "居民身份证号码",
    "id_number",
    "sfzh",
)
NAME_ALIASES = (
    "姓名",
    "名称",
    "人员姓名",
    "死者姓名",
    "权利人",
    "车主",
    "法定代表人",
    "name",
    "xm",
)


NAME_LABEL = _("姓名")


def _identity(name_label: StrOrPromise = NAME_LABEL) -> tuple[Column, ...]:
    """The person columns of every kind: ID number, name, sex, birth date, region. The ID may be
    missing or mistyped (then the probabilistic rules use name, birth date, sex and region)."""
    return (
        Column("id_number", _("身份证号码"), ColumnType.ID_NUMBER, aliases=ID_ALIASES),
        Column("name", name_label, ColumnType.TEXT, required=True, aliases=NAME_ALIASES),
        Column("sex", _("性别"), ColumnType.SEX, aliases=("性别", "sex", "xb")),
        Column("birth_date", _("出生日期"), ColumnType.DATE, aliases=("出生日期", "出生年月日")),
        Column(
            "region_code",
            _("户籍地区划代码"),
            ColumnType.REGION,
            aliases=("区划代码", "行政区划代码", "户籍地代码", "户籍地区划代码"),
        ),
    )


def _schema(
    kind: str,
    label: StrOrPromise,
    provider: StrOrPromise,
    *extra: Column,
    name_label: StrOrPromise = NAME_LABEL,
) -> DatasetSchema:
    return DatasetSchema(kind, label, provider, (*_identity(name_label), *extra))


SCHEMAS: dict[str, DatasetSchema] = {
    s.kind: s
    for s in (
        _schema(
            "death",
            _("死亡人员"),
            _("公安户籍、卫健死亡医学证明"),
            Column("death_date", _("死亡日期"), ColumnType.DATE, True, ("死亡日期", "死亡时间")),
            Column("place", _("死亡地点"), aliases=("死亡地点",)),
        ),
        _schema(
            "cremation",
            _("火化人员"),
            _("殡葬服务机构"),
            Column(
                "cremation_date", _("火化日期"), ColumnType.DATE, True, ("火化日期", "火化时间")
            ),
            Column("death_date", _("死亡日期"), ColumnType.DATE, aliases=("死亡日期",)),
            Column("funeral_home", _("殡仪馆"), aliases=("殡仪馆", "火化单位")),
        ),
        _schema(
            "vehicle",
            _("机动车登记"),
            _("公安交管"),
            Column("plate_number", _("号牌号码"), ColumnType.TEXT, True, ("号牌号码", "车牌号")),
            Column("vehicle_type", _("车辆类型"), ColumnType.TEXT, True, ("车辆类型", "车型")),
            Column(
                "value",
                _("车辆价值(元)"),
                ColumnType.DECIMAL,
                aliases=("车辆价值", "价格", "购置价"),
            ),
            Column(
                "registered_on",
                _("登记日期"),
                ColumnType.DATE,
                aliases=("登记日期", "初次登记日期"),
            ),
            name_label=_("车主姓名"),
        ),
        _schema(
            "real_estate",
            _("不动产登记"),
            _("自然资源和规划(不动产登记中心)"),
            Column(
                "certificate_number",
                _("不动产权证号"),
                ColumnType.TEXT,
                aliases=("不动产权证号", "证号"),
            ),
            Column("address", _("坐落"), aliases=("坐落", "房屋坐落", "地址")),
            Column("usage", _("用途"), ColumnType.TEXT, True, ("用途", "规划用途", "房屋用途")),
            Column("area", _("建筑面积(平方米)"), ColumnType.DECIMAL, aliases=("建筑面积", "面积")),
            Column(
                "registered_on", _("登记日期"), ColumnType.DATE, aliases=("登记日期", "登簿日期")
            ),
            name_label=_("权利人姓名"),
        ),
        _schema(
            "business",
            _("工商登记"),
            _("市场监督管理"),
            Column(
                "uscc",
                _("统一社会信用代码"),
                ColumnType.TEXT,
                True,
                ("统一社会信用代码", "信用代码"),
            ),
            Column(
                "business_name",
                _("企业名称"),
                ColumnType.TEXT,
                True,
                ("企业名称", "字号名称", "主体名称"),
            ),
            Column(
                "business_type",
                _("市场主体类型"),
                ColumnType.TEXT,
                aliases=("类型", "企业类型", "主体类型"),
            ),
            Column(
                "registered_capital",
                _("注册资本(元)"),
                ColumnType.DECIMAL,
                aliases=("注册资本", "出资额"),
            ),
            Column("status", _("登记状态"), ColumnType.TEXT, aliases=("登记状态", "经营状态")),
            Column("registered_on", _("成立日期"), ColumnType.DATE, aliases=("成立日期",)),
            name_label=_("法定代表人(经营者)"),
        ),
        _schema(
            "employment",
            _("就业参保(工资)"),
            _("人力资源和社会保障"),
            Column("employer", _("工作单位"), ColumnType.TEXT, aliases=("单位名称", "工作单位")),
            Column(
                "monthly_wage",
                _("月工资(元)"),
                ColumnType.DECIMAL,
                True,
                ("缴费基数", "月工资", "工资"),
            ),
            Column(
                "period",
                _("所属期"),
                ColumnType.MONTH,
                aliases=("所属期", "缴费月份", "费款所属期"),
            ),
        ),
        _schema(
            "pension",
            _("养老金领取"),
            _("人力资源和社会保障"),
            Column("pension_type", _("养老金类别"), ColumnType.TEXT, aliases=("险种", "待遇类别")),
            Column(
                "monthly_amount",
                _("月养老金(元)"),
                ColumnType.DECIMAL,
                True,
                ("月养老金", "待遇金额", "发放金额"),
            ),
            Column("period", _("所属期"), ColumnType.MONTH, aliases=("所属期", "发放月份")),
        ),
        _schema(
            "public_employee",
            _("财政供养人员"),
            _("组织、编制、财政部门"),
            Column("employer", _("工作单位"), ColumnType.TEXT, True, ("工作单位", "单位名称")),
            Column("post_type", _("人员类别"), ColumnType.TEXT, aliases=("人员类别", "编制类型")),
        ),
        _schema(
            "disability",
            _("残疾人登记"),
            _("残疾人联合会"),
            Column("disability_category", _("残疾类别"), ColumnType.TEXT, True, ("残疾类别",)),
            Column("disability_grade", _("残疾等级"), ColumnType.INTEGER, True, ("残疾等级",)),
            Column(
                "certificate_number",
                _("残疾证号"),
                ColumnType.TEXT,
                aliases=("残疾证号", "残疾人证号"),
            ),
        ),
        _schema(
            "hospital",
            _("住院高额费用"),
            _("医疗保障"),
            Column("hospital", _("医疗机构"), ColumnType.TEXT, aliases=("医疗机构", "医院名称")),
            Column(
                "discharged_on", _("出院日期"), ColumnType.DATE, aliases=("出院日期", "结算日期")
            ),
            Column(
                "total_cost", _("总费用(元)"), ColumnType.DECIMAL, aliases=("总费用", "医疗总费用")
            ),
            Column(
                "out_of_pocket",
                _("个人自付(元)"),
                ColumnType.DECIMAL,
                True,
                ("个人自付", "个人负担", "自付金额"),
            ),
        ),
        _schema(
            "program_enrollment",
            _("救助保障名册"),
            _("本县及其他县区、部门的保障名册"),
            Column(
                "program", _("保障项目"), ColumnType.TEXT, True, ("保障项目", "救助类别", "项目")
            ),
            Column(
                "enrolled_region",
                _("保障地区划代码"),
                ColumnType.REGION,
                aliases=("保障地", "所在地区划"),
            ),
            Column(
                "start_month", _("起始月份"), ColumnType.MONTH, aliases=("起始月份", "享受起始年月")
            ),
            Column(
                "monthly_amount",
                _("月保障金额(元)"),
                ColumnType.DECIMAL,
                aliases=("保障金额", "月保障金"),
            ),
        ),
    )
}

KIND_CHOICES: list[tuple[str, StrOrPromise]] = [(k, s.label) for k, s in SCHEMAS.items()]


def schema_for(kind: str) -> DatasetSchema:
    return SCHEMAS[kind]


# Columns every stored dataset has besides its schema's.
ROW_NO = "row_no"
ID_VALID = "id_valid"
