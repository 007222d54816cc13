"""The demo county's policy numbers (六安市裕安区, 2026), for the demo and the tests.

THESE ARE DEMO FIGURES, chosen to be plausible for a county in central Anhui in 2026 (低保 about
1.3 x below the 特困 basic standard, care standards about 1/10, 1/6 and 1/3 of the local minimum
wage, temporary assistance up to 10 x the monthly standard). They are not the county's: a real
installation replaces every one of them with the numbers of the county's own document (文件依据)
under 救助标准. Procedure numbers (step deadlines, optional steps, delegated approval) are left
to the national defaults of each program's steps."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from minzheng.core.audit import audit_record
from minzheng.core.models import User
from minzheng.programs.models import Standard

DEMO_NOTE = "演示数据(请按本县文件替换)"

_DIBAO = {
    "monthly_standard": "790",
    "min_payment": "30",
    "rounding_unit": "1",
    "elderly_age": "60",
    "minor_age": "18",
    "extra_ratio_elderly": "0.1",
    "extra_ratio_minor": "0.1",
    "extra_ratio_severely_disabled": "0.3",
    "extra_ratio_seriously_ill": "0.2",
    "asset_financial_multiple": "24",
    "max_vehicles": "0",
    "vehicle_exempt_value": "10000",
    "max_houses": "1",
    "max_businesses": "0",
    "exit_grace_months": "6",
    "review_months_stable": "12",
    "review_months_variable": "6",
}
_TEMPORARY = {
    "reference_standard": "790",
    "multiple_minor": "1",
    "multiple_ordinary": "3",
    "multiple_severe": "6",
    "multiple_extreme": "10",
    "cap_amount": "7900",
    "township_approval_cap": "2400",
    "rounding_unit": "1",
}

# program -> parameter -> value
DEFAULTS: dict[str, dict[str, str]] = {
    # 六安 has one standard for town and country; each program keeps its own rows all the same.
    "dibao_urban": dict(_DIBAO),
    "dibao_rural": dict(_DIBAO),
    "tekun": {
        "basic_living_standard": "1027",  # 1.3 x 790
        "care_standard_self_care": "206",  # 1/10, 1/6, 1/3 of a 2,060 yuan minimum wage
        "care_standard_partial": "344",
        "care_standard_full": "687",
        "centralized_care_multiplier": "1.5",
        "dibao_standard": "790",
        "asset_financial_limit": "18960",  # 24 x 790
        "funeral_grant": "3000",
        "rounding_unit": "1",
        "review_months_stable": "12",
        "review_months_variable": "12",
    },
    "temporary_emergency": dict(_TEMPORARY),
    # last year's per-capita disposable income, about 25,000 yuan a year, by the month
    "temporary_expense": {**_TEMPORARY, "income_limit": "2080"},
}


@transaction.atomic
def standards_seed(
    *, region_code: str, valid_from: datetime.date, actor: User | None = None
) -> int:
    """Write the demo numbers for every program as rows of `region_code` from `valid_from`;
    rows that exist for that region and day are kept. Returns the number of rows written."""
    existing = set(
        Standard.objects.filter(region_code=region_code, valid_from=valid_from).values_list(
            "program", "parameter"
        )
    )
    rows = [
        Standard(
            program=program,
            parameter=parameter,
            region_code=region_code,
            valid_from=valid_from,
            value=Decimal(value),
            note=DEMO_NOTE,
            created_by=actor,
        )
        for program, values in DEFAULTS.items()
        for parameter, value in values.items()
        if (program, parameter) not in existing
    ]
    Standard.objects.bulk_create(rows)
    if actor is not None and rows:
        audit_record(
            actor=actor,
            action="standard.set",
            object_type="standard",
            object_id=region_code,
            region_code=region_code,
            changes={"rows": [None, len(rows)], "valid_from": [None, valid_from]},
            reason=DEMO_NOTE,
        )
    return len(rows)
