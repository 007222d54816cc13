"""How datasets, rules, runs and flags of 信息比对 read in the API. Dates ISO 8601, enums their
code identifiers, figures (amounts, weights) decimal strings; identity numbers are masked as
the caller's role requires."""

from __future__ import annotations

from typing import Any, cast

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from minzheng.core.api import mask_ids
from minzheng.core.scope import FULL_ID_VIEWERS
from minzheng.matching.models import (
    DatasetStatus,
    ExternalDataset,
    FlagStatus,
    MatchFlag,
    MatchRun,
    RuleAction,
    RuleMethod,
    RunStatus,
)
from minzheng.matching.rules import RULES
from minzheng.matching.schemas import KIND_CHOICES, ColumnType
from minzheng.programs.apis.base import CodeField
from minzheng.registry.apis.serializers import IdNumberField

ENGINES = [("duckdb", "DuckDB(嵌入式,默认)"), ("spark", "Apache Spark(集群)")]
RULE_CHOICES = [(code, str(rule.label)) for code, rule in RULES.items()]


def kind_field(**kwargs: Any) -> CodeField:
    kwargs.setdefault("help_text", "数据类别")
    return CodeField(cast(list[tuple[str, str]], KIND_CHOICES), name="DatasetKind", **kwargs)


def rule_field(**kwargs: Any) -> CodeField:
    kwargs.setdefault("help_text", "比对规则代码")
    return CodeField(RULE_CHOICES, name="MatchRuleCode", **kwargs)


def engine_field(**kwargs: Any) -> CodeField:
    kwargs.setdefault("help_text", "比对引擎")
    return CodeField(ENGINES, name="MatchEngine", **kwargs)


def username(source: str, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.username", allow_null=True, **kwargs)


def rule_label(code: str) -> str:
    rule = RULES.get(code)
    return str(rule.label) if rule else code


# -- dataset kinds ---------------------------------------------------------------------------


class DatasetColumnSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="标准字段名")
    label = serializers.CharField(help_text="中文名称")  # type: ignore[assignment]
    type = CodeField([(t.value, t.value) for t in ColumnType], name="DatasetColumnType")
    required = serializers.BooleanField(help_text="必须对应到文件的某一列")  # type: ignore[assignment]
    aliases = serializers.ListField(
        child=serializers.CharField(), help_text="各部门文件中常见的列标题(自动对应时使用)"
    )


class DatasetKindSerializer(serializers.Serializer[Any]):
    kind = kind_field()
    label = serializers.CharField(help_text="类别名称")  # type: ignore[assignment]
    provider = serializers.CharField(help_text="通常的提供单位")
    columns = DatasetColumnSerializer(many=True, help_text="标准字段")


# -- datasets --------------------------------------------------------------------------------


class MatchDatasetSerializer(serializers.Serializer[ExternalDataset]):
    """A delivery as a row of the list."""

    id = serializers.IntegerField()
    kind = kind_field()
    kind_label = serializers.CharField(source="get_kind_display", help_text="数据类别名称")
    region_code = serializers.CharField(help_text="所属县(区)区划代码")
    source = serializers.CharField(help_text="提供单位")  # type: ignore[assignment]
    data_date = serializers.DateField(help_text="数据截止日期")
    note = serializers.CharField(help_text="备注")
    status = CodeField(DatasetStatus)
    file_name = serializers.CharField(help_text="文件名")
    file_format = serializers.CharField(help_text="文件格式: csv、xlsx 或 parquet")
    encoding = serializers.CharField(help_text="字符编码(CSV)")
    file_size = serializers.IntegerField(help_text="文件大小(字节)")
    total_rows = serializers.IntegerField(help_text="数据行数")
    valid_rows = serializers.IntegerField(help_text="有效行数")
    error_rows = serializers.IntegerField(help_text="错误行数")
    invalid_id_rows = serializers.IntegerField(help_text="身份证号无效行数")
    duplicate_rows = serializers.IntegerField(help_text="重复行数")
    rows_done = serializers.IntegerField(help_text="校验已处理行数")
    percent = serializers.IntegerField(help_text="校验进度(百分比)")
    message = serializers.CharField(help_text="提示")
    supersedes_id = serializers.IntegerField(allow_null=True, help_text="被本数据替代的上一批数据")
    created_by = username("created_by", help_text="上传人用户名")
    created_at = serializers.DateTimeField(help_text="上传时间")
    activated_at = serializers.DateTimeField(allow_null=True, help_text="启用时间")


class MatchDatasetDetailSerializer(MatchDatasetSerializer):
    headers = serializers.ListField(child=serializers.CharField(), help_text="文件的列标题")
    sample_rows = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True)),
        help_text="文件的前几行(各行的值按列标题的顺序),供核对字段对应",
    )
    column_mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="字段对应: {标准字段名: 文件列标题};上传后为按常见列标题自动猜测的对应",
    )
    columns = serializers.SerializerMethodField(help_text="该类别的标准字段")
    report = serializers.JSONField(help_text="校验报告: 按原因的行数和问题行示例")

    @extend_schema_field(DatasetColumnSerializer(many=True))
    def get_columns(self, dataset: ExternalDataset) -> Any:
        from minzheng.matching.schemas import SCHEMAS

        schema = SCHEMAS.get(dataset.kind)
        return DatasetColumnSerializer(schema.columns if schema else [], many=True).data


class RowNumberField(serializers.IntegerField):
    """A row number of the report; a row-less problem (a heading) has none."""

    def to_representation(self, value: Any) -> int | None:  # type: ignore[override]
        return None if value in ("", None) else int(value)


class DatasetProblemSerializer(serializers.Serializer[Any]):
    """A row the validation refused or warned about, as the report keeps it."""

    row_no = RowNumberField(allow_null=True, help_text="文件中的行号(与Excel中一致)")
    column = serializers.CharField(allow_blank=True, help_text="字段(中文名称)")
    value = serializers.CharField(allow_blank=True, allow_null=True, help_text="原值")
    reason = serializers.CharField(allow_blank=True, help_text="问题")
    code = serializers.CharField(allow_blank=True, help_text="问题代码")
    error = serializers.BooleanField(
        help_text=(
            "true: 错误(整批数据因此不予启用);false: 提示(如保留待模糊比对的身份证号、剔除的重复行)"
        )
    )
    message = serializers.CharField(
        allow_blank=True, help_text="说明,如 第12行 死亡日期“2026-13-01”不是有效日期"
    )


# -- rules -------------------------------------------------------------------------------------


class MatchRuleSerializer(serializers.Serializer[Any]):
    """A rule of the catalogue with its effective settings for the caller's county."""

    code = rule_field()
    label = serializers.CharField(help_text="规则名称")  # type: ignore[assignment]
    dataset_kind = kind_field(allow_null=True, help_text="比对的数据类别;空为只比对本部门名册")
    method = CodeField(RuleMethod)
    action = CodeField(RuleAction)
    meaning = serializers.CharField(help_text="命中的含义(疑点摘要的模板)")
    enabled = serializers.BooleanField(help_text="是否启用")
    threshold = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        allow_null=True,
        help_text="阈值: 模糊比对为匹配权重,其他规则为规则所用的界限;空为无阈值",
    )
    default_threshold = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text="规则的默认阈值"
    )
    due_days = serializers.IntegerField(help_text="核实时限(工作日)")
    default_due_days = serializers.IntegerField(help_text="默认核实时限(工作日)")
    note = serializers.CharField(help_text="说明")
    customized = serializers.BooleanField(help_text="本县已修改过设置(否则为默认设置)")
    updated_at = serializers.DateTimeField(allow_null=True, help_text="修改时间")


# -- runs --------------------------------------------------------------------------------------


class MatchRunSerializer(serializers.Serializer[MatchRun]):
    """A run as a row of the list."""

    id = serializers.IntegerField()
    number = serializers.CharField(help_text="比对批次编号")
    region_code = serializers.CharField(help_text="比对的县(区)区划代码")
    engine = engine_field()
    as_of = serializers.DateField(help_text="比对基准日")
    status = CodeField(RunStatus, name="MatchRunStatus")
    stage = serializers.CharField(help_text="进度说明")
    percent = serializers.IntegerField(help_text="进度(百分比),完成为100")
    message = serializers.CharField(help_text="提示(失败原因等)")
    rules = serializers.ListField(child=serializers.CharField(), help_text="参加比对的规则代码")
    beneficiary_count = serializers.IntegerField(help_text="比对人数")
    hit_count = serializers.IntegerField(help_text="命中数")
    new_flag_count = serializers.IntegerField(help_text="新增疑点数")
    seconds = serializers.DecimalField(
        max_digits=9, decimal_places=1, allow_null=True, help_text="耗时(秒)"
    )
    created_by = username("created_by", help_text="发起人用户名")
    created_at = serializers.DateTimeField(help_text="发起时间")
    started_at = serializers.DateTimeField(allow_null=True, help_text="开始时间")
    finished_at = serializers.DateTimeField(allow_null=True, help_text="完成时间")


class MatchRunDetailSerializer(MatchRunSerializer):
    datasets = serializers.DictField(
        child=serializers.IntegerField(), help_text="所用的比对数据: {数据类别: 数据编号}"
    )
    rule_counts = serializers.DictField(
        child=serializers.JSONField(),
        help_text='各规则的结果: {规则代码: {"hits": 命中数, "new": 新增疑点数, "seconds": 耗时}}',
    )


# -- flags -------------------------------------------------------------------------------------


class MatchFlagSerializer(serializers.Serializer[MatchFlag]):
    """A flag as a row of the list."""

    id = serializers.IntegerField()
    rule = rule_field()
    rule_label = serializers.SerializerMethodField(help_text="规则名称")
    action = CodeField(RuleAction)
    status = CodeField(FlagStatus)
    summary = serializers.CharField(help_text="疑点摘要")
    person_id = serializers.IntegerField()
    person_name = serializers.CharField(source="person.name", help_text="姓名")
    id_number = IdNumberField(source="person.id_number")
    case_id = serializers.IntegerField(allow_null=True, help_text="案件(疑似漏保时为空)")
    case_number = serializers.CharField(source="case.number", allow_null=True, help_text="案件编号")
    household_id = serializers.IntegerField(allow_null=True)
    region_code = serializers.CharField(help_text="所在村(社区)区划代码")
    program = serializers.CharField(help_text="救助项目代码(漏保为建议纳入的项目)")
    run_id = serializers.IntegerField(help_text="发现疑点的比对批次")
    last_run_id = serializers.IntegerField(help_text="最近一次命中的比对批次")
    dataset_id = serializers.IntegerField(allow_null=True, help_text="比对数据")
    row_no = serializers.IntegerField(allow_null=True, help_text="比对数据中的行号")
    match_weight = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text="匹配权重(模糊比对)"
    )
    due_on = serializers.DateField(allow_null=True, help_text="核实时限")
    overdue = serializers.SerializerMethodField(help_text="待核实且已超过核实时限")
    review_id = serializers.IntegerField(allow_null=True, help_text="复核任务")
    outcome = serializers.CharField(help_text="处理结果代码(adjust/suspend/terminate/referred)")
    outcome_reason = serializers.CharField(help_text="核实情况")
    worked_by = username("worked_by", help_text="核实人用户名")
    worked_at = serializers.DateTimeField(allow_null=True, help_text="核实时间")
    created_at = serializers.DateTimeField(help_text="发现时间")

    def get_rule_label(self, flag: MatchFlag) -> str:
        return rule_label(flag.rule)

    def get_overdue(self, flag: MatchFlag) -> bool:
        today = timezone.localdate()
        return bool(flag.status == FlagStatus.OPEN and flag.due_on and flag.due_on < today)


class MatchFlagDetailSerializer(MatchFlagSerializer):
    evidence = serializers.SerializerMethodField(
        help_text="比对依据: 比对数据中的那一行(标准字段)和规则算出的数字(figure)"
    )

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_evidence(self, flag: MatchFlag) -> Any:
        user = self.context["request"].user
        return flag.evidence if user.role in FULL_ID_VIEWERS else mask_ids(flag.evidence)


# -- a run's summary and the figures -------------------------------------------------------------


def rate(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(allow_null=True, help_text=help_text)


class TownshipSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="乡镇(街道)区划代码")
    name = serializers.CharField(help_text="乡镇(街道)名称")


class SummaryCountsSerializer(serializers.Serializer[Any]):
    hits = serializers.IntegerField(help_text="命中数(本批次新发现的和再次命中的)")
    new = serializers.IntegerField(help_text="本批次新发现的疑点数")
    repeated = serializers.IntegerField(help_text="以前已发现、本批次再次命中的疑点数")
    open = serializers.IntegerField(help_text="待核实")
    confirmed = serializers.IntegerField(help_text="核实属实")
    dismissed = serializers.IntegerField(help_text="核实不属实")
    worked = serializers.IntegerField(help_text="已核实")
    confirmed_rate = rate("属实率(已核实中属实的百分比,整数);未核实时为空")
    dismissed_rate = rate("不属实率(百分比,整数);未核实时为空")
    by_township = serializers.ListField(
        child=serializers.IntegerField(), help_text="各乡镇的命中数,与 townships 的顺序一致"
    )


class SummaryRuleSerializer(SummaryCountsSerializer):
    code = rule_field()
    label = serializers.CharField(help_text="规则名称")  # type: ignore[assignment]
    action = serializers.CharField(help_text="处理方式代码(suspend/review/candidate)")
    method = serializers.CharField(help_text="比对方法代码(exact/probabilistic)")
    seconds = serializers.FloatField(allow_null=True, help_text="该规则的比对耗时(秒)")


class SkippedRuleSerializer(serializers.Serializer[Any]):
    code = rule_field()
    label = serializers.CharField(help_text="规则名称")  # type: ignore[assignment]
    reason = serializers.CharField(help_text="未运行的原因(如缺少比对数据)")


class MatchRunSummarySerializer(serializers.Serializer[Any]):
    townships = TownshipSerializer(many=True, help_text="列出的乡镇(只含您管辖的)")
    rules = SummaryRuleSerializer(many=True, help_text="各规则的命中和核实情况")
    skipped = SkippedRuleSerializer(many=True, help_text="未运行的规则")
    totals = SummaryCountsSerializer(help_text="合计")
    whole_run = serializers.BooleanField(help_text="您看到的是整个批次(否则只是本乡镇的部分)")


class FigureCountsSerializer(serializers.Serializer[Any]):
    raised = serializers.IntegerField(help_text="发现疑点数")
    open = serializers.IntegerField(help_text="待核实")
    confirmed = serializers.IntegerField(help_text="核实属实")
    dismissed = serializers.IntegerField(help_text="核实不属实")


class FigureRuleSerializer(FigureCountsSerializer):
    code = rule_field()
    label = serializers.CharField(help_text="规则名称")  # type: ignore[assignment]
    confirmed_rate = rate("属实率(百分比,整数);未核实时为空")


class FigureTownshipSerializer(FigureCountsSerializer):
    code = serializers.CharField(help_text="乡镇(街道)区划代码")
    name = serializers.CharField(help_text="乡镇(街道)名称")


class MatchFiguresSerializer(FigureCountsSerializer):
    year = serializers.IntegerField(help_text="年度")
    runs = serializers.IntegerField(help_text="完成的比对批次数")
    confirmed_rate = rate("属实率(百分比,整数);未核实时为空")
    overdue = serializers.IntegerField(help_text="超过核实时限仍待核实的疑点数")
    candidates_referred = serializers.IntegerField(help_text="疑似漏保已转介纳入的人数")
    cases_suspended = serializers.IntegerField(help_text="因比对暂停发放的案件数")
    cases_terminated = serializers.IntegerField(help_text="因比对终止保障的案件数")
    by_rule = FigureRuleSerializer(many=True, help_text="按规则")
    by_township = FigureTownshipSerializer(many=True, help_text="按乡镇(街道)")
