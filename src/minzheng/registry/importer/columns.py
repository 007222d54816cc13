"""The import file's columns: Chinese headers, which are required, and the values a coded column
accepts (the Chinese labels of the registry's TextChoices, their parts and their codes)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import TextChoices

from minzheng.registry.models import (
    ETHNIC_GROUPS,
    DisabilityCategory,
    Education,
    HukouType,
    LabourCapacity,
    MaritalStatus,
    Relationship,
)

HOUSEHOLD_KEY = "户编号"
RELATIONSHIP = "与户主关系"
NAME = "姓名"
ID_NUMBER = "身份证号码"
ETHNICITY = "民族"
PHONE = "联系电话"
HUKOU_TYPE = "户籍性质"
PERSON_REGION = "户籍所在地区划代码"
MARITAL_STATUS = "婚姻状况"
EDUCATION = "文化程度"
LABOUR_CAPACITY = "劳动能力"
DISABILITY_CATEGORY = "残疾类别"
DISABILITY_GRADE = "残疾等级"
DISABILITY_CERTIFICATE = "残疾证号"
SERIOUS_ILLNESS = "重大疾病"
ADDRESS = "家庭住址"
HOUSEHOLD_REGION = "所在村(社区)区划代码"
BANK_NAME = "开户银行"
BANK_ACCOUNT_NAME = "账户名"
BANK_ACCOUNT_NUMBER = "银行账号"


@dataclass(frozen=True)
class Column:
    header: str
    required: bool  # the header must be present (the cell may still be optional)
    note: str  # what the instructions sheet says about it
    household: bool = False  # read from the 户主 row only
    width: int = 14


COLUMNS = [
    Column(HOUSEHOLD_KEY, True, "必填。同一家庭的成员填写相同的户编号(如 H001),用于分组", width=10),
    Column(RELATIONSHIP, True, "必填。每户有且只有一名“户主”", width=12),
    Column(NAME, True, "必填", width=10),
    Column(ID_NUMBER, True, "必填。18位身份证号码(15位旧号码将自动升级);请设为文本格式", width=22),
    Column(ETHNICITY, False, "留空视为汉族", width=8),
    Column(PHONE, False, "手机或固定电话", width=14),
    Column(HUKOU_TYPE, True, "必填:城镇 或 农村", width=10),
    Column(PERSON_REGION, True, "必填。12位区划代码,须在您的管辖范围内", width=16),
    Column(MARITAL_STATUS, False, "可留空", width=10),
    Column(EDUCATION, False, "可留空", width=12),
    Column(LABOUR_CAPACITY, False, "留空视为有劳动能力", width=16),
    Column(DISABILITY_CATEGORY, False, "无残疾请留空;填写时须同时填写残疾等级", width=12),
    Column(DISABILITY_GRADE, False, "1-4级(1级最重),如“2”或“二级”", width=10),
    Column(DISABILITY_CERTIFICATE, False, "可留空", width=22),
    Column(SERIOUS_ILLNESS, False, "无重大疾病请留空", width=14),
    Column(ADDRESS, True, "户主行必填", household=True, width=32),
    Column(HOUSEHOLD_REGION, True, "户主行必填。12位村(社区)区划代码", household=True, width=16),
    Column(BANK_NAME, False, "户主行填写,用于发放", household=True, width=14),
    Column(BANK_ACCOUNT_NAME, False, "户主行填写", household=True, width=10),
    Column(BANK_ACCOUNT_NUMBER, False, "户主行填写;请设为文本格式", household=True, width=24),
]
HEADERS = [c.header for c in COLUMNS]
REQUIRED_HEADERS = [c.header for c in COLUMNS if c.required]

HUKOU_TYPE_LABELS = {"城镇户口": HukouType.URBAN, "农村户口": HukouType.RURAL}
GRADE_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4}


def choice_values(choices: type[TextChoices]) -> dict[str, str]:
    """What a coded cell may hold -> the stored code: the Chinese label, each part of a label
    written "a/b", and the code itself."""
    values: dict[str, str] = {}
    for code, label in choices.choices:
        values[str(code)] = str(code)
        values[str(label)] = str(code)
        for part in str(label).split("/"):
            values.setdefault(part, str(code))
    return values


def ethnicity_values() -> dict[str, str]:
    values = {e: e for e in ETHNIC_GROUPS}
    for e in ETHNIC_GROUPS:
        if e.endswith("族"):
            values.setdefault(e[:-1], e)
    return values


def grade_values() -> dict[str, int]:
    values: dict[str, int] = {}
    for grade in range(1, 5):
        for text in (str(grade), f"{grade}级"):
            values[text] = grade
    for word, grade in GRADE_WORDS.items():
        values[word] = grade
        values[f"{word}级"] = grade
    return values


@dataclass(frozen=True)
class Codes:
    """Lookup tables of every coded column (built once per import)."""

    relationship: dict[str, str]
    hukou_type: dict[str, str]
    marital_status: dict[str, str]
    education: dict[str, str]
    labour_capacity: dict[str, str]
    disability_category: dict[str, str]
    disability_grade: dict[str, int]
    ethnicity: dict[str, str]

    @classmethod
    def build(cls) -> Codes:
        hukou = choice_values(HukouType)
        hukou.update({k: str(v) for k, v in HUKOU_TYPE_LABELS.items()})
        return cls(
            relationship=choice_values(Relationship),
            hukou_type=hukou,
            marital_status=choice_values(MaritalStatus),
            education=choice_values(Education),
            labour_capacity=choice_values(LabourCapacity),
            disability_category=choice_values(DisabilityCategory),
            disability_grade=grade_values(),
            ethnicity=ethnicity_values(),
        )


def allowed_labels() -> dict[str, list[str]]:
    """The values the instructions sheet lists per coded column (labels only)."""
    return {
        RELATIONSHIP: [str(label) for label in Relationship.labels],
        HUKOU_TYPE: [str(label) for label in HukouType.labels],
        MARITAL_STATUS: [str(label) for label in MaritalStatus.labels],
        EDUCATION: [str(label) for label in Education.labels],
        LABOUR_CAPACITY: [str(label) for label in LabourCapacity.labels],
        DISABILITY_CATEGORY: [str(label) for label in DisabilityCategory.labels],
        DISABILITY_GRADE: [f"{g}级" for g in range(1, 5)],
        ETHNICITY: list(ETHNIC_GROUPS),
    }
