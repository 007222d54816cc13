"""Checking the rows of an import file: every bad cell is reported with its row number, its
column (the Chinese header) and the reason, and a household with any bad row is marked bad as a
whole. Good households come out as `bulk.HouseholdRow`s, ready to write.

This runs once per row of files with hundreds of thousands of rows, so the per-row path is kept
to dictionary lookups and one ID-number validation (see bench/registry_import.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import CharField
from django.utils import timezone

from minzheng.core.idnumbers import IdNumberError, normalize_id_number
from minzheng.core.models import Region, User
from minzheng.core.regions import CODE_LENGTH
from minzheng.registry.bulk import HouseholdRow, PersonRow
from minzheng.registry.importer import columns as c
from minzheng.registry.importer.reading import FILE_NO_DATA, LOST_DIGITS, ImportFileError
from minzheng.registry.models import Household, Person, Relationship
from minzheng.registry.services import (
    DISABILITY_CATEGORY_WITHOUT_GRADE,
    DISABILITY_GRADE_WITHOUT_CATEGORY,
    PERSON_DUPLICATE_ELSEWHERE,
    REGION_NOT_VILLAGE,
    REGION_UNKNOWN,
    person_duplicate_message,
)

HEADERS_MISSING = "文件缺少必需的表头:{headers}。请下载并使用导入模板"
HEADERS_UNKNOWN = "无法识别的表头:{headers}。请使用导入模板中的表头"
HEADERS_REPEATED = "表头重复:{headers}"
CELL_REQUIRED = "不能为空"
VALUE_UNKNOWN = "“{value}”不是有效的{column},可填写:{allowed}"
ETHNICITY_UNKNOWN = "“{value}”不是有效的民族,请填写民族全称,如“汉族”"
GRADE_UNKNOWN = "“{value}”不是有效的残疾等级,应为1-4级"
TOO_LONG = "不能超过{limit}个字"
NUMBER_LOST = "Excel把该单元格存成了数字,超过15位的数字已丢失。请把该列设为“文本”格式后重新填写"
REGION_FORMAT = "区划代码应为12位数字"
REGION_OUT_OF_SCOPE = "区划代码{code}不在您的管辖范围内"
PHONE_FORMAT = "联系电话只能包含数字和“-”,最多20位"
ACCOUNT_FORMAT = "银行账号只能包含数字,最多32位"
DUPLICATE_IN_FILE = "与第{row}行的身份证号码重复"
HEAD_MISSING = "户编号“{key}”的家庭没有户主,每户须有且只有一名户主"
HEAD_MULTIPLE = "户编号“{key}”的家庭有多名户主(第{rows}行),每户须有且只有一名户主"
ROW_TOO_WIDE = "该行的数据超出了表头的列数"
ROW_COLUMN = "整行"

SCIENTIFIC = re.compile(r"^\d(\.\d+)?[Ee]\+?\d+$")
PHONE = re.compile(r"^[0-9][0-9 \-]{0,19}$")
DEFAULT_REPORTED_ERRORS = 5000
DB_CHUNK = 5000


def _length(field_name: str, model: type[Person] | type[Household] = Person) -> int:
    model_field = model._meta.get_field(field_name)
    assert isinstance(model_field, CharField)
    return int(model_field.max_length or 0)


LIMITS = {
    c.NAME: _length("name"),
    c.DISABILITY_CERTIFICATE: _length("disability_certificate"),
    c.SERIOUS_ILLNESS: _length("serious_illness"),
    c.ADDRESS: _length("address", Household),
    c.BANK_NAME: _length("bank_name", Household),
    c.BANK_ACCOUNT_NAME: _length("bank_account_name", Household),
}


def check_headers(headers: list[str]) -> dict[str, int]:
    """Column positions by header; refuses the file at once when the headers are wrong."""
    named = [h for h in headers if h]
    missing = [h for h in c.REQUIRED_HEADERS if h not in named]
    if missing:
        raise ImportFileError(HEADERS_MISSING.format(headers="、".join(missing)))
    unknown = [h for h in named if h not in c.HEADERS]
    if unknown:
        raise ImportFileError(HEADERS_UNKNOWN.format(headers="、".join(unknown)))
    repeated = sorted({h for h in named if named.count(h) > 1})
    if repeated:
        raise ImportFileError(HEADERS_REPEATED.format(headers="、".join(repeated)))
    return {h: i for i, h in enumerate(headers) if h}


class ErrorLog:
    """Counts every error, keeps the first `cap` of them for the report."""

    def __init__(self, cap: int = DEFAULT_REPORTED_ERRORS) -> None:
        self.cap = cap
        self.count = 0
        self.items: list[tuple[int, str, str]] = []

    def add(self, row: int, column: str, reason: str) -> None:
        self.count += 1
        if len(self.items) < self.cap:
            self.items.append((row, column, reason))

    def report(self) -> list[dict[str, object]]:
        items = sorted(self.items, key=lambda e: e[0])[: self.cap]
        return [{"row": r, "column": col, "reason": reason} for r, col, reason in items]


@dataclass
class Draft:
    """A household while its rows are being read (its rows need not be adjacent)."""

    key: str
    first_row: int
    members: list[tuple[int, PersonRow, str]] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    row: HouseholdRow | None = None  # the household-level fields, from the 户主 row
    bad: bool = False


class Regions:
    """Region codes looked up once each: (level, in the actor's scope) or None if unknown."""

    def __init__(self, actor: User) -> None:
        self.prefix = actor.scope_prefix
        self.known: dict[str, int | None] = {}

    def problem(self, code: str, *, village: bool) -> str:
        if len(code) != CODE_LENGTH or not code.isdigit():
            return REGION_FORMAT
        if code not in self.known:
            self.known[code] = (
                Region.objects.filter(code=code).values_list("level", flat=True).first()
            )
        level = self.known[code]
        if level is None:
            return REGION_UNKNOWN.format(code=code)
        if not code.startswith(self.prefix):
            return REGION_OUT_OF_SCOPE.format(code=code)
        if village and level != Region.Level.VILLAGE:
            return REGION_NOT_VILLAGE
        return ""


def _allowed(values: Iterable[str]) -> str:
    return "、".join(values)


class RowChecker:
    """Feed it the rows one by one with `add`, then call `finish` for the households."""

    def __init__(self, *, actor: User, headers: list[str], cap: int = DEFAULT_REPORTED_ERRORS):
        self.actor = actor
        self.position = check_headers(headers)
        self.width = len(headers)
        self.codes = c.Codes.build()
        self.allowed = c.allowed_labels()
        self.regions = Regions(actor)
        self.today = timezone.localdate()
        self.errors = ErrorLog(cap)
        self.drafts: dict[str, Draft] = {}
        self.seen: dict[str, int] = {}  # id number -> first row
        self.rows = 0
        # position of every template column; absent optional columns read an always-empty cell
        self.at = {h: self.position.get(h, self.width) for h in c.HEADERS}

    # one row ------------------------------------------------------------------------------

    def add(self, row: int, cells: list[str]) -> None:
        if not any(cells):
            return
        self.rows += 1
        if len(cells) > self.width:
            if any(cells[self.width :]):
                self.errors.add(row, ROW_COLUMN, ROW_TOO_WIDE)
            del cells[self.width :]
        cells.extend([""] * (self.width + 1 - len(cells)))
        before = self.errors.count
        at = self.at
        key = cells[at[c.HOUSEHOLD_KEY]]
        if not key:
            self.errors.add(row, c.HOUSEHOLD_KEY, CELL_REQUIRED)
        relationship = self._coded(row, cells, c.RELATIONSHIP, self.codes.relationship, True)
        person = self._person(row, cells)
        draft = self.drafts.get(key) if key else None
        if key and draft is None:
            draft = self.drafts[key] = Draft(key, row)
        if draft is None:
            return
        if relationship == Relationship.HEAD:
            draft.heads.append(row)
            draft.row = self._household(row, cells)
        if person is not None:
            draft.members.append((row, person, relationship))
        if self.errors.count > before:
            draft.bad = True

    def _text(self, row: int, cells: list[str], column: str, required: bool = False) -> str:
        value = cells[self.at[column]]
        if not value:
            if required:
                self.errors.add(row, column, CELL_REQUIRED)
            return ""
        if value == LOST_DIGITS:
            self.errors.add(row, column, NUMBER_LOST)
            return ""
        limit = LIMITS.get(column)
        if limit and len(value) > limit:
            self.errors.add(row, column, TOO_LONG.format(limit=limit))
            return ""
        return value

    def _coded(
        self, row: int, cells: list[str], column: str, values: dict[str, str], required: bool
    ) -> str:
        value = cells[self.at[column]]
        if not value:
            if required:
                self.errors.add(row, column, CELL_REQUIRED)
            return ""
        code = values.get(value)
        if code is None:
            allowed = _allowed(self.allowed[column])
            self.errors.add(
                row, column, VALUE_UNKNOWN.format(value=value, column=column, allowed=allowed)
            )
            return ""
        return code

    def _id_number(self, row: int, cells: list[str]) -> str:
        value = cells[self.at[c.ID_NUMBER]]
        if value == LOST_DIGITS or SCIENTIFIC.match(value):
            self.errors.add(row, c.ID_NUMBER, NUMBER_LOST)
            return ""
        try:
            number = normalize_id_number(value, today=self.today)
        except IdNumberError as e:
            self.errors.add(row, c.ID_NUMBER, e.message)
            return ""
        first = self.seen.setdefault(number, row)
        if first != row:
            self.errors.add(row, c.ID_NUMBER, DUPLICATE_IN_FILE.format(row=first))
            return ""
        return number

    def _region(self, row: int, cells: list[str], column: str, village: bool) -> str:
        code = self._text(row, cells, column, required=True)
        if not code:
            return ""
        problem = self.regions.problem(code, village=village)
        if problem:
            self.errors.add(row, column, problem)
            return ""
        return code

    def _person(self, row: int, cells: list[str]) -> PersonRow | None:
        before = self.errors.count
        codes = self.codes
        name = self._text(row, cells, c.NAME, required=True)
        id_number = self._id_number(row, cells)
        hukou = self._coded(row, cells, c.HUKOU_TYPE, codes.hukou_type, True)
        region = self._region(row, cells, c.PERSON_REGION, village=False)
        ethnicity = cells[self.at[c.ETHNICITY]]
        if ethnicity:
            ethnicity = codes.ethnicity.get(ethnicity, "")
            if not ethnicity:
                value = cells[self.at[c.ETHNICITY]]
                self.errors.add(row, c.ETHNICITY, ETHNICITY_UNKNOWN.format(value=value))
        phone = cells[self.at[c.PHONE]]
        if phone and not PHONE.match(phone):
            self.errors.add(row, c.PHONE, PHONE_FORMAT)
        category = self._coded(row, cells, c.DISABILITY_CATEGORY, codes.disability_category, False)
        grade = self._grade(row, cells)
        if category and grade is None and not cells[self.at[c.DISABILITY_GRADE]]:
            self.errors.add(row, c.DISABILITY_GRADE, DISABILITY_CATEGORY_WITHOUT_GRADE)
        if grade is not None and not category and not cells[self.at[c.DISABILITY_CATEGORY]]:
            self.errors.add(row, c.DISABILITY_CATEGORY, DISABILITY_GRADE_WITHOUT_CATEGORY)
        person = PersonRow(
            id_number=id_number,
            name=name,
            hukou_type=hukou,
            region_code=region,
            ethnicity=ethnicity or "汉族",
            phone=phone,
            marital_status=self._coded(row, cells, c.MARITAL_STATUS, codes.marital_status, False),
            education=self._coded(row, cells, c.EDUCATION, codes.education, False),
            labour_capacity=self._coded(row, cells, c.LABOUR_CAPACITY, codes.labour_capacity, False)
            or "full",
            disability_category=category,
            disability_grade=grade,
            disability_certificate=self._text(row, cells, c.DISABILITY_CERTIFICATE),
            serious_illness=self._text(row, cells, c.SERIOUS_ILLNESS),
        )
        return person if self.errors.count == before else None

    def _grade(self, row: int, cells: list[str]) -> int | None:
        value = cells[self.at[c.DISABILITY_GRADE]]
        if not value:
            return None
        grade = self.codes.disability_grade.get(value)
        if grade is None:
            self.errors.add(row, c.DISABILITY_GRADE, GRADE_UNKNOWN.format(value=value))
        return grade

    def _household(self, row: int, cells: list[str]) -> HouseholdRow:
        account = cells[self.at[c.BANK_ACCOUNT_NUMBER]].replace(" ", "")
        if account == LOST_DIGITS or SCIENTIFIC.match(account):
            self.errors.add(row, c.BANK_ACCOUNT_NUMBER, NUMBER_LOST)
        elif account and (not account.isdigit() or len(account) > 32):
            self.errors.add(row, c.BANK_ACCOUNT_NUMBER, ACCOUNT_FORMAT)
        return HouseholdRow(
            address=self._text(row, cells, c.ADDRESS, required=True),
            region_code=self._region(row, cells, c.HOUSEHOLD_REGION, village=True),
            bank_name=self._text(row, cells, c.BANK_NAME),
            bank_account_name=self._text(row, cells, c.BANK_ACCOUNT_NAME),
            bank_account_number=account,
        )

    # the whole file -------------------------------------------------------------------------

    def finish(self) -> CheckResult:
        """Household-level checks, duplicates against the database, and the good households."""
        if self.rows == 0:
            raise ImportFileError(FILE_NO_DATA)
        for draft in self.drafts.values():
            self._check_heads(draft)
        self._check_database()
        good = [self._household_row(d) for d in self.drafts.values() if not d.bad]
        return CheckResult(
            households=good,
            households_bad=sum(1 for d in self.drafts.values() if d.bad),
            rows=self.rows,
            errors=self.errors,
        )

    def _check_heads(self, draft: Draft) -> None:
        if len(draft.heads) == 1:
            return
        draft.bad = True
        if not draft.heads:
            self.errors.add(draft.first_row, c.RELATIONSHIP, HEAD_MISSING.format(key=draft.key))
            return
        rows = "、".join(str(r) for r in draft.heads)
        for row in draft.heads[1:]:
            self.errors.add(row, c.RELATIONSHIP, HEAD_MULTIPLE.format(key=draft.key, rows=rows))

    def _check_database(self) -> None:
        """Numbers already registered: one indexed query per chunk; the scope-aware message
        (naming the record only inside the user's scope) for the errors that are reported."""
        where = {p.id_number: (d, row) for d in self.drafts.values() for row, p, _ in d.members}
        numbers = list(where)
        for start in range(0, len(numbers), DB_CHUNK):
            chunk = numbers[start : start + DB_CHUNK]
            for number in Person.objects.filter(id_number__in=chunk).values_list(
                "id_number", flat=True
            ):
                draft, row = where[number]
                draft.bad = True
                reported = len(self.errors.items) < self.errors.cap
                message = (
                    person_duplicate_message(actor=self.actor, id_number=number)
                    if reported
                    else PERSON_DUPLICATE_ELSEWHERE
                )
                self.errors.add(row, c.ID_NUMBER, message)

    @staticmethod
    def _household_row(draft: Draft) -> HouseholdRow:
        assert draft.row is not None
        head = [(p, rel) for row, p, rel in draft.members if row == draft.heads[0]]
        others = [(p, rel) for row, p, rel in draft.members if row != draft.heads[0]]
        draft.row.members = head + others
        return draft.row


@dataclass
class CheckResult:
    households: list[HouseholdRow]  # the good ones, ready to write
    households_bad: int
    rows: int
    errors: ErrorLog

    @property
    def persons(self) -> int:
        return sum(len(h.members) for h in self.households)
