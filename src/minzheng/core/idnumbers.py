"""Resident identity numbers (居民身份证号码, GB 11643-1999), validated with python-stdnum.

`normalize_id_number` is the one entry point for anything typed or imported: it cleans the input,
upgrades a 15-digit legacy number to 18 digits, and raises `IdNumberError` with a Chinese message
that says what is wrong."""

from __future__ import annotations

import datetime
import re
from functools import lru_cache

from django.utils import timezone
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

ID_EMPTY = "请填写身份证号码"
ID_LENGTH = "身份证号码应为18位(或15位旧号码)"
ID_FORMAT = "身份证号码只能由数字组成,最后一位可以是X"
ID_CHECKSUM = "身份证号码校验位错误,请核对"
ID_BIRTH_DATE = "身份证号码中的出生日期无效"
ID_FUTURE = "身份证号码中的出生日期晚于今天"
ID_AREA = "身份证号码前6位不是有效的地区代码"


class IdNumberError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@lru_cache(maxsize=65536)
def area_code_known(area: str, year: int) -> bool:
    """Whether stdnum's table knows the 6-digit area code in that year (cached: the table
    lookup is the slow part of a validation)."""
    try:
        ric.get_birth_place(f"{area}{year:04d}0101" + "0000")
    except (StdnumError, KeyError):  # stdnum raises KeyError('county') for some codes
        return False
    return True


def upgrade_15(number: str) -> str:
    """A 15-digit legacy number (yymmdd birth date, no check digit) as its 18-digit form."""
    first17 = number[:6] + "19" + number[6:15]
    return first17 + ric.calc_check_digit(first17 + "0")


CLEAN_18 = re.compile(r"\d{17}[\dX]")


def normalize_id_number(raw: str, *, today: datetime.date | None = None) -> str:
    """The valid 18-digit form of `raw`, or IdNumberError saying what is wrong.

    Input that is already a clean 18-character number skips stdnum's input cleaning, which
    is most of the cost when an import checks half a million numbers."""
    number = raw if CLEAN_18.fullmatch(raw or "") else ric.compact(raw or "").replace("x", "X")
    if not number:
        raise IdNumberError(ID_EMPTY)
    if len(number) == 15:
        if not number.isdigit():
            raise IdNumberError(ID_FORMAT)
        number = upgrade_15(number)
    if len(number) != 18:
        raise IdNumberError(ID_LENGTH)
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(ID_FORMAT)
    if number[17] != ric.calc_check_digit(number):
        raise IdNumberError(ID_CHECKSUM)
    try:
        birth = birth_date_of(number)
    except ValueError:
        raise IdNumberError(ID_BIRTH_DATE) from None
    if birth > (today or timezone.localdate()) or birth.year < 1880:
        raise IdNumberError(ID_FUTURE if birth.year >= 1880 else ID_BIRTH_DATE)
    if not area_code_known(number[:6], birth.year):
        raise IdNumberError(ID_AREA)
    return number


def is_valid_id_number(raw: str) -> bool:
    try:
        normalize_id_number(raw)
    except IdNumberError:
        return False
    return True


def birth_date_of(number: str) -> datetime.date:
    """The birth date (YYYYMMDD at positions 7-14) of a normalized number."""
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_of(number: str) -> str:
    """ "M" or "F": the 17th digit is odd for men, even for women."""
    return "M" if int(number[16]) % 2 else "F"


def mask_id_number(number: str) -> str:
    """341503********1234: the first 6 and last 4 digits only."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def make_id_number(area: str, birth: datetime.date, sequence: int) -> str:
    """A valid number for area + birth date + 3-digit sequence (odd male, even female); for
    demo data and tests."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")
