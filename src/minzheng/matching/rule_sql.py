"""The SQL of every rule, written once in DuckDB's dialect over the tables described in
matching.rules (beneficiaries, residents, ds_<kind>) and run as it is on DuckDB and through
sqlglot on Spark. Each function takes the rule's context and returns a query of HIT_COLUMNS
with their types (see `_hits`).

What keeps the two engines identical:
- No floating point in a figure: money is summed as DECIMAL and divided as whole cents with
  integer arithmetic (`_round_half_up_div`), so both engines round half up the same way.
- Ages are whole years from YYYYMMDD integers (`age_sql`), not from date functions whose edge
  cases (29 February) differ between engines.
- Every output column is cast to its hit type; NULL literals are typed.
- Only constructs sqlglot carries to Spark SQL: joins, EXISTS, window functions in a subquery
  (no QUALIFY), CASE, LIKE, substr, greatest, coalesce.

Limits (max_vehicles, max_houses, max_businesses, monthly_standard) are the case's own snapshot
columns; a NULL limit means the county set none for the case's program (特困 in the demo), and
the rule does not apply to that case (for real estate: neither the homes beyond the limit nor
the shops and parking spaces). A NULL vehicle_exempt_value exempts no vehicle by its value.

Whose rows count: exact rules join on the ID number of rows with id_valid. Deaths, cremations,
income and double enrollment look at counted members (the beneficiaries); assets, public
employment and disability at every member of the case's household as the rolls list it. One
hit per (case, person, evidence row) unless the rule says otherwise."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minzheng.matching.rules import RuleContext

# Case statuses of the snapshot (programs.models.CaseStatus values): the ones paid this month.
PAYING_STATUSES = ("active", "exit_grace")
# The programs a person can be in only one of at a time (低保 in town, 低保 in the country, 特困).
EXCLUSIVE_PROGRAMS = ("dibao_urban", "dibao_rural", "tekun")
DISABILITY_CARE = "disability_care"
AGE_ALLOWANCE = "age_allowance"
TEMPORARY_EXPENSE = "temporary_expense"

# Vehicle types that are not counted as an asset (DOMAIN.md §2.4: disabled mobility vehicles,
# motorcycles, e-bikes; three-wheelers and farm tractors as tools of a living). Matched as
# parts of the registered type: 轻便摩托车 contains 摩托.
VEHICLE_EXEMPT_TYPES = ("摩托", "电动自行车", "残疾人", "轮椅", "三轮", "拖拉机")
# Real-estate usages that are not a home (shops, offices, parking, storage, industry). A usage
# that mentions 住宅 (or 宅基地) is a home even when it mentions one of these too.
RESIDENTIAL_USAGES = ("住宅", "宅基地")
NON_RESIDENTIAL_USAGES = (
    "商业",
    "商服",
    "商铺",
    "营业",
    "办公",
    "车位",
    "车库",
    "仓储",
    "仓库",
    "工业",
    "厂房",
)
# Business registrations that no longer exist.
BUSINESS_CLOSED_STATUSES = ("注销", "吊销", "撤销")

# Program names and codes as other departments' rolls write them -> our program codes.
# Checked in order; the first entry whose every part the text (lower case, without spaces)
# contains wins. 低保边缘 is not 低保; 城市/城镇/农村 say which 低保 only next to 低保.
# A generic 低保 (城乡低保, 最低生活保障) becomes "dibao", the same program as either.
PROGRAM_PATTERNS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("边缘",), "dibao_edge"),
    (("dibao_urban",), "dibao_urban"),
    (("dibao_rural",), "dibao_rural"),
    (("disability_care",), DISABILITY_CARE),
    (("age_allowance",), AGE_ALLOWANCE),
    (("tekun",), "tekun"),
    (("特困",), "tekun"),
    (("五保",), "tekun"),
    (("护理补贴",), DISABILITY_CARE),
    (("高龄",), AGE_ALLOWANCE),
    (("城市", "低保"), "dibao_urban"),
    (("城镇", "低保"), "dibao_urban"),
    (("城市", "最低生活保障"), "dibao_urban"),
    (("城镇", "最低生活保障"), "dibao_urban"),
    (("农村", "低保"), "dibao_rural"),
    (("农村", "最低生活保障"), "dibao_rural"),
    (("低保",), "dibao"),
    (("最低生活保障",), "dibao"),
    (("dibao",), "dibao"),
)
# Both sides of a 低保 family: the generic name matches either.
DIBAO_FAMILY = ("dibao", "dibao_urban", "dibao_rural")


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


def _contains(column: str, part: str) -> str:
    return f"{column} LIKE {_lit('%' + part + '%')}"


def _any_like(column: str, parts: tuple[str, ...]) -> str:
    return "(" + " OR ".join(_contains(column, p) for p in parts) + ")"


def program_code_sql(column: str) -> str:
    """Our program code for another roll's program text (PROGRAM_PATTERNS); the trimmed text
    itself when nothing matches."""
    text = f"lower(replace(replace(trim({column}), ' ', ''), '\u3000', ''))"
    whens = " ".join(
        f"WHEN {' AND '.join(_contains(text, part) for part in parts)} THEN {_lit(code)}"
        for parts, code in PROGRAM_PATTERNS
    )
    return f"(CASE {whens} ELSE {text} END)"


def _ymd(expr: str) -> str:
    return f"(year({expr}) * 10000 + month({expr}) * 100 + day({expr}))"


def age_sql(birth: str, as_of: datetime.date) -> str:
    """Whole years from `birth` to `as_of`: the birthday counts on its day; someone born on
    29 February is a year older on 1 March of a common year. Integer arithmetic only."""
    on = as_of.year * 10000 + as_of.month * 100 + as_of.day
    return f"CAST(floor(({on} - {_ymd(birth)}) / 10000) AS INTEGER)"


def _cents(expr: str) -> str:
    return f"CAST(round({expr} * 100) AS BIGINT)"


def _round_half_up_div(numerator: str, denominator: str) -> str:
    """numerator / denominator rounded half up, both non-negative BIGINT (cents, people)."""
    return f"CAST(floor((2 * {numerator} + {denominator}) / (2 * {denominator})) AS BIGINT)"


def _money(cents: str) -> str:
    return f"CAST(CAST({cents} AS DECIMAL(18, 0)) * CAST(0.01 AS DECIMAL(3, 2)) AS DECIMAL(14, 2))"


def _hits(code: str, inner: str, *, evidence: bool = False) -> str:
    """HIT_COLUMNS with their types over `inner`, which returns them by name; with
    `evidence`, also inner's EVIDENCE column (DuckDB only, see evidence_sql)."""
    carried = f",\n    hits.{EVIDENCE}" if evidence else ""
    return f"""SELECT
    CAST({_lit(code)} AS VARCHAR) AS rule,
    CAST(person_id AS BIGINT) AS person_id,
    CAST(case_id AS BIGINT) AS case_id,
    CAST(household_id AS BIGINT) AS household_id,
    CAST(region_code AS VARCHAR) AS region_code,
    CAST(program AS VARCHAR) AS program,
    CAST(row_no AS BIGINT) AS row_no,
    CAST(match_weight AS DOUBLE) AS match_weight,
    CAST(figure AS DECIMAL(14, 2)) AS figure{carried}
FROM ({inner}) AS hits"""


NO_WEIGHT = "CAST(NULL AS DOUBLE) AS match_weight"
NO_FIGURE = "CAST(NULL AS DECIMAL(14, 2)) AS figure"
NO_CASE = "CAST(NULL AS BIGINT) AS case_id"
NO_ROW = "CAST(NULL AS BIGINT) AS row_no"
CASE_COLUMNS = "b.person_id, b.case_id, b.household_id, b.region_code, b.program"


# --- deaths --------------------------------------------------------------------------------


def _died(code: str, kind: str, *, evidence: bool = False) -> str:
    carried = f", d AS {EVIDENCE}" if evidence else ""
    return _hits(
        code,
        f"""SELECT {CASE_COLUMNS}, d.row_no, {NO_WEIGHT}, {NO_FIGURE}{carried}
FROM ds_{kind} AS d
JOIN beneficiaries AS b ON b.id_number = d.id_number
WHERE d.id_valid AND b.counted""",
        evidence=evidence,
    )


def death_id(ctx: RuleContext) -> str:
    return _died("death_id", "death")


def cremation_id(ctx: RuleContext) -> str:
    return _died("cremation_id", "cremation")


# The evidence row carried out of the rule's own scan, for the landing (DuckDB only: a
# table alias selected as a struct is DuckDB's). The same query as the rule's, plus the column
# EVIDENCE = the whole row of the rule's dataset (row_no included) that the hit's row_no
# names: matching.apply writes the hits (HIT_COLUMNS, as the rule's query gives them) and the
# distinct evidence rows beside them, and the landing reads those instead of scanning the
# dataset a second time (50,000,000 death rows: ~2 s of a 5 s rule).
EVIDENCE = "evidence"
EVIDENCE_SQL: dict[str, Callable[[RuleContext], str]] = {
    "death_id": lambda ctx: _died("death_id", "death", evidence=True),
    "cremation_id": lambda ctx: _died("cremation_id", "cremation", evidence=True),
}


def evidence_sql(code: str, ctx: RuleContext) -> str | None:
    """The rule's query with its EVIDENCE column, when the rule has one (DuckDB dialect only)."""
    make = EVIDENCE_SQL.get(code)
    return make(ctx) if make is not None else None


# Tables death_fuzzy prepares before its query (matching.apply): the death rows without a
# usable ID, the counted beneficiaries, and the links probabilistic.link_persons writes.
FUZZY_RECORDS = "fuzzy_death_records"
FUZZY_PEOPLE = "fuzzy_people"
FUZZY_LINKS = "fuzzy_death_links"


def death_fuzzy_records(ctx: RuleContext) -> str:
    return """SELECT CAST(row_no AS BIGINT) AS row_no, name, sex, birth_date, region_code
FROM ds_death
WHERE (id_valid IS NULL OR NOT id_valid OR id_number IS NULL) AND name IS NOT NULL"""


def death_fuzzy_people(ctx: RuleContext) -> str:
    return """SELECT CAST(person_id AS BIGINT) AS person_id, name, sex, birth_date,
    min(region_code) AS region_code
FROM beneficiaries
WHERE counted
GROUP BY person_id, name, sex, birth_date"""


def death_fuzzy(ctx: RuleContext) -> str:
    return _hits(
        "death_fuzzy",
        f"""SELECT {CASE_COLUMNS}, l.row_no, l.match_weight, {NO_FIGURE}
FROM {FUZZY_LINKS} AS l
JOIN beneficiaries AS b ON b.person_id = l.person_id
WHERE b.counted""",
    )


# --- assets --------------------------------------------------------------------------------


def vehicle(ctx: RuleContext) -> str:
    exempt = _any_like("coalesce(v.vehicle_type, '')", VEHICLE_EXEMPT_TYPES)
    return _hits(
        "vehicle",
        f"""SELECT person_id, case_id, household_id, region_code, program, row_no,
    {NO_WEIGHT}, value AS figure
FROM (
    SELECT {CASE_COLUMNS}, b.max_vehicles, v.row_no, v.value,
        count(*) OVER (PARTITION BY b.case_id) AS vehicles
    FROM ds_vehicle AS v
    JOIN beneficiaries AS b ON b.id_number = v.id_number
    WHERE v.id_valid AND NOT {exempt}
        AND (v.value IS NULL OR v.value > coalesce(b.vehicle_exempt_value, 0))
) AS owned
WHERE vehicles > max_vehicles""",
    )


def real_estate(ctx: RuleContext) -> str:
    usage = "coalesce(r.usage, '')"
    residential = _any_like(usage, RESIDENTIAL_USAGES)
    other = _any_like(usage, NON_RESIDENTIAL_USAGES)
    return _hits(
        "real_estate",
        f"""SELECT person_id, case_id, household_id, region_code, program, row_no,
    {NO_WEIGHT}, area AS figure
FROM (
    SELECT {CASE_COLUMNS}, b.max_houses, r.row_no, r.area, home,
        sum(CASE WHEN home THEN 1 ELSE 0 END) OVER (PARTITION BY b.case_id) AS homes
    FROM (
        SELECT *, {residential} AS home, NOT {residential} AND {other} AS business_use
        FROM ds_real_estate AS r
        WHERE r.id_valid
    ) AS r
    JOIN beneficiaries AS b ON b.id_number = r.id_number
    WHERE home OR business_use
) AS units
WHERE max_houses IS NOT NULL AND (NOT home OR homes > max_houses)""",
    )


def business(ctx: RuleContext) -> str:
    closed = _any_like("coalesce(e.status, '')", BUSINESS_CLOSED_STATUSES)
    return _hits(
        "business",
        f"""SELECT person_id, case_id, household_id, region_code, program, row_no,
    {NO_WEIGHT}, registered_capital AS figure
FROM (
    SELECT {CASE_COLUMNS}, b.max_businesses, e.row_no, e.registered_capital,
        count(*) OVER (PARTITION BY b.case_id) AS businesses
    FROM ds_business AS e
    JOIN beneficiaries AS b ON b.id_number = e.id_number
    WHERE e.id_valid AND NOT {closed}
) AS active
WHERE businesses > max_businesses""",
    )


# --- income --------------------------------------------------------------------------------


def _income(code: str, kind: str, amount: str, declared: str) -> str:
    """Per case: each counted member's monthly `amount` in ds_<kind> (the rows of their newest
    period, summed) above what the household declared for them, added to the per-capita
    income over the counted members; a hit per contributing row when the recalculated figure
    (rounded half up to the fen) reaches the standard. The dataset is joined to the rolls
    before anything is ranked, so the window functions see only the beneficiaries' rows."""
    newest_first = "coalesce(x.period, DATE '1900-01-01') DESC"
    return _hits(
        code,
        f"""SELECT person_id, case_id, household_id, region_code, program, row_no,
    {NO_WEIGHT}, {_money("figure_cents")} AS figure
FROM (
    SELECT *,
        {_cents("per_capita_income")}
            + {_round_half_up_div("extra_cents", "members")} AS figure_cents
    FROM (
        SELECT *,
            sum(CASE WHEN first_row THEN person_extra_cents ELSE 0 END)
                OVER (PARTITION BY case_id) AS extra_cents,
            CAST(greatest(coalesce(counted_members, 0), 1) AS BIGINT) AS members
        FROM (
            SELECT *,
                greatest(person_cents - {_cents(f"coalesce({declared}, 0)")}, 0)
                    AS person_extra_cents,
                row_no = min(row_no) OVER (PARTITION BY case_id, person_id) AS first_row
            FROM (
                SELECT *,
                    sum({_cents(amount)}) OVER (PARTITION BY case_id, person_id) AS person_cents
                FROM (
                    SELECT {CASE_COLUMNS}, b.per_capita_income, b.counted_members,
                        b.monthly_standard, b.{declared}, x.row_no, x.{amount},
                        rank() OVER (
                            PARTITION BY b.case_id, b.person_id ORDER BY {newest_first}
                        ) AS newness
                    FROM ds_{kind} AS x
                    JOIN beneficiaries AS b ON b.id_number = x.id_number
                    WHERE x.id_valid AND x.{amount} IS NOT NULL AND b.counted
                ) AS matched
                WHERE newness = 1
            ) AS person_rows
        ) AS persons
    ) AS households
) AS recalculated
WHERE person_extra_cents > 0 AND figure_cents >= {_cents("monthly_standard")}""",
    )


def salary(ctx: RuleContext) -> str:
    return _income("salary", "employment", "monthly_wage", "declared_wages")


def pension(ctx: RuleContext) -> str:
    return _income("pension", "pension", "monthly_amount", "declared_pension")


def public_employee(ctx: RuleContext) -> str:
    return _hits(
        "public_employee",
        f"""SELECT {CASE_COLUMNS}, p.row_no, {NO_WEIGHT}, {NO_FIGURE}
FROM ds_public_employee AS p
JOIN beneficiaries AS b ON b.id_number = p.id_number
WHERE p.id_valid""",
    )


# --- double enrollment ---------------------------------------------------------------------


def double_enrollment(ctx: RuleContext) -> str:
    dibao = _in(DIBAO_FAMILY)
    exclusive = _in((*EXCLUSIVE_PROGRAMS, "dibao"))
    same = f"(e.code = b.program OR (e.code = 'dibao' AND b.program IN {dibao}))"
    return _hits(
        "double_enrollment",
        f"""SELECT {CASE_COLUMNS}, e.row_no, {NO_WEIGHT}, {NO_FIGURE}
FROM (
    SELECT id_number, row_no, enrolled_region, {program_code_sql("program")} AS code
    FROM ds_program_enrollment
    WHERE id_valid
) AS e
JOIN beneficiaries AS b ON b.id_number = e.id_number
WHERE b.counted AND (
    ({same} AND substr(e.enrolled_region, 1, 6) <> substr(b.region_code, 1, 6))
    OR (NOT {same} AND e.code IN {exclusive} AND b.program IN {exclusive})
)""",
    )


def double_enrollment_internal(ctx: RuleContext) -> str:
    paying = _in(PAYING_STATUSES)
    exclusive = _in(EXCLUSIVE_PROGRAMS)
    return _hits(
        "double_enrollment_internal",
        f"""SELECT {CASE_COLUMNS}, {NO_ROW}, {NO_WEIGHT}, {NO_FIGURE}
FROM beneficiaries AS b
WHERE b.counted AND b.case_status IN {paying} AND b.program IN {exclusive}
    AND EXISTS (
        SELECT 1 FROM beneficiaries AS o
        WHERE o.person_id = b.person_id AND o.case_id <> b.case_id AND o.counted
            AND o.case_status IN {paying} AND o.program IN {exclusive}
    )""",
    )


# --- should be enrolled (漏保) ----------------------------------------------------------------


def _not_enrolled(ctx: RuleContext, program: str, person: str, id_number: str) -> str:
    """No beneficiaries row of `program` for the person, nor (when the county's rolls were
    delivered) a ds_program_enrollment row naming it."""
    clause = f"""NOT EXISTS (
        SELECT 1 FROM beneficiaries AS en
        WHERE en.person_id = {person} AND en.program = {_lit(program)}
    )"""
    if "program_enrollment" in ctx.datasets:
        clause += f"""
    AND NOT EXISTS (
        SELECT 1 FROM ds_program_enrollment AS pe
        WHERE pe.id_number = {id_number} AND pe.id_valid
            AND {program_code_sql("pe.program")} = {_lit(program)}
    )"""
    return clause


def disability_care_missing(ctx: RuleContext) -> str:
    paying = _in(PAYING_STATUSES)
    exclusive = _in(EXCLUSIVE_PROGRAMS)
    return _hits(
        "disability_care_missing",
        f"""SELECT person_id, {NO_CASE}, household_id, region_code,
    {_lit(DISABILITY_CARE)} AS program, row_no, {NO_WEIGHT}, disability_grade AS figure
FROM (
    SELECT b.person_id, b.household_id, b.region_code, d.row_no, d.disability_grade,
        row_number() OVER (PARTITION BY b.person_id, d.row_no ORDER BY b.case_id) AS nth
    FROM ds_disability AS d
    JOIN beneficiaries AS b ON b.id_number = d.id_number
    WHERE d.id_valid AND d.disability_grade IN (1, 2)
        AND b.case_status IN {paying} AND b.program IN {exclusive}
        AND {_not_enrolled(ctx, DISABILITY_CARE, "b.person_id", "d.id_number")}
) AS members
WHERE nth = 1""",
    )


def age_allowance_missing(ctx: RuleContext) -> str:
    threshold = int(ctx.threshold if ctx.threshold is not None else Decimal(80))
    return _hits(
        "age_allowance_missing",
        f"""SELECT person_id, {NO_CASE}, household_id, region_code,
    {_lit(AGE_ALLOWANCE)} AS program, {NO_ROW}, {NO_WEIGHT}, age AS figure
FROM (
    SELECT r.person_id, r.household_id, r.region_code, r.id_number,
        {age_sql("r.birth_date", ctx.as_of)} AS age
    FROM residents AS r
    WHERE r.birth_date IS NOT NULL
) AS r
WHERE age >= {threshold}
    AND {_not_enrolled(ctx, AGE_ALLOWANCE, "r.person_id", "r.id_number")}""",
    )


def hospital_high_cost(ctx: RuleContext) -> str:
    threshold = ctx.threshold if ctx.threshold is not None else Decimal(20000)
    paying = _in(PAYING_STATUSES)
    exclusive = _in(EXCLUSIVE_PROGRAMS)
    return _hits(
        "hospital_high_cost",
        f"""SELECT person_id, {NO_CASE}, household_id, region_code,
    {_lit(TEMPORARY_EXPENSE)} AS program, row_no, {NO_WEIGHT}, out_of_pocket AS figure
FROM (
    SELECT r.person_id, r.household_id, r.region_code, h.row_no, h.out_of_pocket,
        row_number() OVER (
            PARTITION BY r.person_id ORDER BY h.out_of_pocket DESC, h.row_no
        ) AS nth
    FROM ds_hospital AS h
    JOIN residents AS r ON r.id_number = h.id_number
    WHERE h.id_valid AND h.out_of_pocket >= CAST({_lit(str(threshold))} AS DECIMAL(14, 2))
        AND NOT EXISTS (
            SELECT 1 FROM beneficiaries AS b
            WHERE b.person_id = r.person_id AND b.counted
                AND b.case_status IN {paying} AND b.program IN {exclusive}
        )
) AS costs
WHERE nth = 1""",
    )
