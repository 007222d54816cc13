"""Standards (救助标准): the effective-dated policy numbers of every program, looked up for a
region and a day, set by the county, and listed for its administration page.

A number is a row (program, parameter, region_code, valid_from, value): region_code is a county
or one of its townships (a township row overrides its county's), and a row holds from
valid_from until the next row of the same region starts, or until valid_to (exclusive) when set.
Setting a number that changes benefits recalculates the paying cases from its month on."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet

from minzheng.core.audit import audit_record
from minzheng.core.models import Region, User
from minzheng.core.regions import CODE_LENGTH, LEVEL_DIGITS, code_level
from minzheng.core.scope import require_in_scope, scoped
from minzheng.programs.models import Standard
from minzheng.programs.permissions import STANDARD_EDITORS
from minzheng.programs.policies import POLICIES
from minzheng.programs.policies.base import Standards
from minzheng.programs.services.errors import CaseError

STANDARD_NOT_ALLOWED = "只有县(区)民政局经办人、领导或系统管理员可以设置救助标准"
STANDARD_UNKNOWN_PROGRAM = "未知的救助项目:{program}"
STANDARD_UNKNOWN_PARAMETER = "救助项目“{program}”没有参数“{parameter}”"
STANDARD_REGION_LEVEL = "救助标准只能按县(区)或乡镇(街道)设置"
STANDARD_UNKNOWN_REGION = "区划代码“{code}”不存在"
STANDARD_VALUE_INVALID = "请填写不小于0的数值(最多4位小数)"
STANDARD_ENDS_BEFORE_START = "失效日期应晚于生效日期"

FOUR_PLACES = Decimal("0.0001")


def region_chain(region_code: str) -> list[str]:
    """The region and every region above it, as 12-digit codes, most specific first."""
    level = code_level(region_code)
    return [region_code[: LEVEL_DIGITS[lv]].ljust(CODE_LENGTH, "0") for lv in range(level, 0, -1)]


def standards_for(*, program: str, region_code: str, day: datetime.date) -> Standards:
    """The numbers of `program` in force on `day` for a region (a village's case reads its
    township's rows first, then its county's, then above). For each parameter the most
    specific region with a row in force wins; within a region the row with the latest
    valid_from on or before `day` holds unless its valid_to has passed. A parameter set nowhere
    takes its policy default (if any)."""
    chain = region_chain(region_code)
    rank = {code: i for i, code in enumerate(chain)}
    rows = (
        Standard.objects.filter(program=program, region_code__in=chain, valid_from__lte=day)
        .order_by("parameter", "region_code", "-valid_from")
        .values_list("parameter", "region_code", "valid_from", "valid_to", "value")
    )
    latest: dict[tuple[str, str], tuple[datetime.date, datetime.date | None, Decimal]] = {}
    for parameter, code, valid_from, valid_to, value in rows:
        latest.setdefault((parameter, code), (valid_from, valid_to, value))
    best: dict[str, tuple[int, str, datetime.date, Decimal]] = {}
    for (parameter, code), (valid_from, valid_to, value) in latest.items():
        if valid_to is not None and valid_to <= day:
            continue
        if parameter not in best or rank[code] < best[parameter][0]:
            best[parameter] = (rank[code], code, valid_from, value)
    values: dict[str, Decimal] = {}
    policy = POLICIES.get(program)
    if policy is not None:
        for name, spec in policy.parameters.items():
            if spec.default is not None:
                values[name] = spec.default
    sources: dict[str, str] = {}
    for parameter, (_, code, valid_from, value) in best.items():
        values[parameter] = value
        sources[parameter] = f"{code} {valid_from.isoformat()}"
    return Standards(
        program=program, region_code=region_code, day=day, values=values, sources=sources
    )


def first_month_from(day: datetime.date) -> datetime.date:
    """The first month that starts on or after `day`."""
    if day.day == 1:
        return day
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _clean(
    *,
    actor: User,
    program: str,
    parameter: str,
    region_code: str,
    valid_from: datetime.date,
    value: Decimal | str | int,
    valid_to: datetime.date | None,
) -> Decimal:
    if actor.role not in STANDARD_EDITORS:
        raise CaseError(STANDARD_NOT_ALLOWED)
    policy = POLICIES.get(program)
    if policy is None:
        raise CaseError(STANDARD_UNKNOWN_PROGRAM.format(program=program), field="program")
    if parameter not in policy.parameters:
        raise CaseError(
            STANDARD_UNKNOWN_PARAMETER.format(program=policy.label, parameter=parameter),
            field="parameter",
        )
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise CaseError(STANDARD_UNKNOWN_REGION.format(code=region_code), field="region_code")
    require_in_scope(actor, region_code)
    if region.level not in (Region.Level.COUNTY, Region.Level.TOWNSHIP):
        raise CaseError(STANDARD_REGION_LEVEL, field="region_code")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise CaseError(STANDARD_VALUE_INVALID, field="value") from None
    if not number.is_finite() or number < 0 or number != number.quantize(FOUR_PLACES):
        raise CaseError(STANDARD_VALUE_INVALID, field="value")
    if number >= Decimal(10) ** 10:
        raise CaseError(STANDARD_VALUE_INVALID, field="value")
    if valid_to is not None and valid_to <= valid_from:
        raise CaseError(STANDARD_ENDS_BEFORE_START, field="valid_to")
    return number.quantize(FOUR_PLACES)


@transaction.atomic
def standard_set(
    *,
    actor: User,
    program: str,
    parameter: str,
    region_code: str,
    valid_from: datetime.date,
    value: Decimal | str | int,
    note: str = "",
    valid_to: datetime.date | None = None,
) -> Standard:
    """Set a number of a program for a county or township from `valid_from` (a second value for
    the same region and day replaces the first). When it changes monthly benefits, the paying
    cases of the region are recalculated from the first month starting on or after
    `valid_from` (and again from `valid_to`, when the number ends)."""
    number = _clean(
        actor=actor,
        program=program,
        parameter=parameter,
        region_code=region_code,
        valid_from=valid_from,
        value=value,
        valid_to=valid_to,
    )
    row = (
        Standard.objects.select_for_update()
        .filter(program=program, parameter=parameter, region_code=region_code)
        .filter(valid_from=valid_from)
        .first()
    )
    before = (str(row.value), row.valid_to) if row else (None, None)
    if row is None:
        row = Standard(
            program=program,
            parameter=parameter,
            region_code=region_code,
            valid_from=valid_from,
            created_by=actor,
        )
    row.value, row.note, row.valid_to = number, note, valid_to
    row.full_clean(validate_unique=False)
    row.save()
    audit_record(
        actor=actor,
        action="standard.set",
        object_type="standard",
        object_id=row.pk,
        region_code=region_code,
        changes={
            "program": program,
            "parameter": parameter,
            "value": [before[0], str(number)],
            "valid_from": valid_from,
            "valid_to": [before[1], valid_to],
        },
        reason=note,
    )
    _recalculate(actor, program, parameter, region_code, valid_from, valid_to)
    return row


def _recalculate(
    actor: User,
    program: str,
    parameter: str,
    region_code: str,
    valid_from: datetime.date,
    valid_to: datetime.date | None,
) -> None:
    from minzheng.programs.services.recalc import affects_amount, cases_recalculate

    if not affects_amount(program, parameter):
        return
    for day in (valid_from, valid_to):
        if day is not None:
            cases_recalculate(
                program=program,
                region_code=region_code,
                from_month=first_month_from(day),
                actor=actor,
            )


def standard_list(
    *, user: User, program: str | None = None, parameter: str | None = None
) -> QuerySet[Standard]:
    """The rows a user may see: those of the regions above and beneath the user's own (a
    township clerk reads the county's numbers and the township's overrides)."""
    above = region_chain(user.region_id)
    qs = Standard.objects.select_related("created_by")
    qs = scoped(qs, user) | qs.filter(region_code__in=above)
    if program:
        qs = qs.filter(program=program)
    if parameter:
        qs = qs.filter(parameter=parameter)
    return qs.order_by("program", "parameter", "region_code", "-valid_from")
