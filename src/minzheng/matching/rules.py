"""The match rules (比对规则): what each compares, how, and what a hit means. Written once in
DuckDB's SQL dialect over the tables below; the Spark engine transpiles the same text.

Tables a rule reads (registered by the run, see matching.snapshot):

- `beneficiaries`: one row per current member of every paying or suspended case of the
  county: case_id, case_number, program, case_status, household_id, region_code (the case's
  village), person_id, id_number, name, name_pinyin, sex ('M'/'F'), birth_date, counted (bool:
  counted in the benefit), is_sole (the case's only counted member, or the 特困 person),
  counted_members, per_capita_income, monthly_amount, and the case's standards on the run's
  date: monthly_standard, max_vehicles, vehicle_exempt_value, max_houses, max_businesses; and
  the person's declared monthly income in the household's newest declaration: declared_wages,
  declared_pension (DECIMAL(14,2), 0 when none).
- `residents`: every living person of the county's registry: person_id, id_number, name,
  name_pinyin, sex, birth_date, region_code (household's village, else hukou), household_id.
- `ds_<kind>` for each kind with an active dataset (matching.schemas: canonical columns +
  row_no + id_valid). A rule whose dataset is missing does not run (the run reports it).

Every rule's query returns HIT_COLUMNS, one row per (person, evidence row):
rule, person_id, case_id (NULL for a candidate), household_id, region_code, program (the case's,
or the program a candidate should join), row_no (the dataset row; NULL for rules on the rolls
alone), match_weight (DOUBLE, probabilistic rules only), figure (DECIMAL(14,2): the number the
rule worked out — recalculated per-capita income, vehicle value, out-of-pocket cost ...)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from minzheng.matching import rule_sql
from minzheng.matching.models import RuleAction, RuleMethod
from minzheng.matching.probabilistic import DEFAULT_THRESHOLD

HIT_COLUMNS = (
    "rule",
    "person_id",
    "case_id",
    "household_id",
    "region_code",
    "program",
    "row_no",
    "match_weight",
    "figure",
)


@dataclass(frozen=True)
class RuleContext:
    """What a rule's SQL may depend on besides its tables."""

    as_of: datetime.date
    # The rule's threshold (MatchRule.threshold, else the rule's default).
    threshold: Decimal | None
    # Kinds with an active dataset registered as ds_<kind>.
    datasets: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Rule:
    code: str
    label: str | Promise
    # The dataset kind it compares with; None: the bureau's own rolls only.
    dataset_kind: str | None
    method: str  # RuleMethod
    action: str  # RuleAction
    # What a hit means, shown on the flag and as the review's reason; formatted with the
    # flag's evidence (e.g. {death_date}) and {figure}.
    meaning: str | Promise
    default_due_days: int = 15
    default_threshold: Decimal | None = None
    # DuckDB-dialect SQL returning HIT_COLUMNS (matching.rule_sql).
    sql: Callable[[RuleContext], str] | None = None


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule(
            "death_id",
            _("死亡人员(身份证号)"),
            "death",
            RuleMethod.EXACT,
            RuleAction.SUSPEND,
            _("死亡数据显示该人员已于{death_date}死亡,次月起暂停发放,请核实"),
            default_due_days=15,
            sql=rule_sql.death_id,
        ),
        Rule(
            "death_fuzzy",
            _("死亡人员(姓名、出生日期模糊比对)"),
            "death",
            RuleMethod.PROBABILISTIC,
            RuleAction.REVIEW,
            _(
                "死亡数据中身份证号缺失或有误的记录与该人员疑似同一人(匹配权重{match_weight}),请核实"
            ),
            default_threshold=Decimal(str(DEFAULT_THRESHOLD)),
            sql=rule_sql.death_fuzzy,
        ),
        Rule(
            "cremation_id",
            _("火化人员(身份证号)"),
            "cremation",
            RuleMethod.EXACT,
            RuleAction.SUSPEND,
            _("殡葬数据显示该人员已于{cremation_date}火化,次月起暂停发放,请核实"),
            sql=rule_sql.cremation_id,
        ),
        Rule(
            "vehicle",
            _("家庭拥有机动车"),
            "vehicle",
            RuleMethod.EXACT,
            RuleAction.REVIEW,
            _("家庭成员名下登记有{vehicle_type}({plate_number}),超过财产限定条件,请复核"),
            sql=rule_sql.vehicle,
        ),
        Rule(
            "real_estate",
            _("家庭房产超过限定"),
            "real_estate",
            RuleMethod.EXACT,
            RuleAction.REVIEW,
            _("家庭成员名下登记有{usage}房产({address}),超过财产限定条件,请复核"),
            sql=rule_sql.real_estate,
        ),
        Rule(
            "business",
            _("家庭成员登记市场主体"),
            "business",
            RuleMethod.EXACT,
            RuleAction.REVIEW,
            _("家庭成员为{business_name}的法定代表人(经营者),请复核经营收入和财产"),
            sql=rule_sql.business,
        ),
        Rule(
            "salary",
            _("工资收入超过保障标准"),
            "employment",
            RuleMethod.EXACT,
            RuleAction.REVIEW,
            _(
                "就业参保数据显示月工资{monthly_wage}元,计入后家庭月人均收入约{figure}元,超过保障标准"
            ),
            sql=rule_sql.salary,
        ),
        Rule(
            "pension",
            _("养老金收入超过保障标准"),
            "pension",
            RuleMethod.EXACT,
            RuleAction.REVIEW,
            _("领取养老金每月{monthly_amount}元,计入后家庭月人均收入约{figure}元,超过保障标准"),
            sql=rule_sql.pension,
        ),
        Rule(
            "public_employee",
            _("财政供养人员"),
            "public_employee",
            RuleMethod.EXACT,
            RuleAction.REVIEW,
            _("家庭成员为{employer}的财政供养人员,请复核家庭收入"),
            sql=rule_sql.public_employee,
        ),
        Rule(
            "double_enrollment",
            _("重复享受救助"),
            "program_enrollment",
            RuleMethod.EXACT,
            RuleAction.REVIEW,
            _("该人员同时在{enrolled_region}享受{program},请核实是否重复享受"),
            sql=rule_sql.double_enrollment,
        ),
        Rule(
            "double_enrollment_internal",
            _("本县重复享受救助"),
            None,
            RuleMethod.EXACT,
            RuleAction.REVIEW,
            _("该人员同时计入本县两个以上互斥的保障案件,请核实"),
            sql=rule_sql.double_enrollment_internal,
        ),
        Rule(
            "disability_care_missing",
            _("重度残疾人未享受护理补贴"),
            "disability",
            RuleMethod.EXACT,
            RuleAction.CANDIDATE,
            _("低收入家庭成员持{disability_grade}级残疾证,未享受重度残疾人护理补贴,建议纳入"),
            sql=rule_sql.disability_care_missing,
        ),
        Rule(
            "age_allowance_missing",
            _("80周岁以上老年人未享受高龄津贴"),
            None,
            RuleMethod.EXACT,
            RuleAction.CANDIDATE,
            _("该老年人已满{figure}周岁,未享受高龄津贴,建议纳入"),
            default_threshold=Decimal("80"),
            sql=rule_sql.age_allowance_missing,
        ),
        Rule(
            "hospital_high_cost",
            _("高额医疗费用未获救助"),
            "hospital",
            RuleMethod.EXACT,
            RuleAction.CANDIDATE,
            _("住院个人自付{out_of_pocket}元,未享受低保或特困供养,建议核查是否给予临时救助"),
            default_threshold=Decimal("20000"),
            sql=rule_sql.hospital_high_cost,
        ),
    )
}


def rule_for(code: str) -> Rule:
    return RULES[code]
