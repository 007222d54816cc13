"""How runs, payment lines, bank files and returns, fund accounts and bank templates read in
the API. Money is a decimal string in yuan with 2 places, months `YYYY-MM`, enums their code
identifiers; identity and account numbers are masked as the caller's role requires."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from minzheng.payments.apis.base import MonthField, money, username
from minzheng.payments.models import (
    BankFile,
    BankReturn,
    BankTemplate,
    FundAccount,
    FundEntry,
    FundSource,
    LineKind,
    LineStatus,
    PaymentLine,
    PayrollRun,
    RunStatus,
)
from minzheng.programs.apis.base import CodeField, program_field
from minzheng.programs.policies import POLICIES
from minzheng.registry.apis.serializers import BankAccountField, IdNumberField


def program_label(code: str) -> str:
    policy = POLICIES.get(code)
    return str(policy.label) if policy else code


class FundAccountBriefSerializer(serializers.Serializer[FundAccount]):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="账户名称")
    source = CodeField(FundSource)  # type: ignore[assignment]


class BankFileSerializer(serializers.Serializer[BankFile]):
    id = serializers.IntegerField()
    run_id = serializers.IntegerField()
    kind = CodeField(BankFile.Kind, name="BankFileKind")
    bank_name = serializers.CharField(help_text="银行")
    file_name = serializers.CharField(help_text="文件名")
    sha256 = serializers.CharField(help_text="文件内容的SHA-256")
    row_count = serializers.IntegerField(help_text="笔数")
    total_amount = money(help_text="金额合计(元)")
    status = CodeField(BankFile.Status, name="BankFileStatus")
    created_by = username("created_by")
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(help_text="下载地址")

    def get_download_url(self, bank_file: BankFile) -> str:
        return reverse("api-bank-file-download", kwargs={"pk": bank_file.pk})


class RunSerializer(serializers.Serializer[PayrollRun]):
    """A run as a row of the list."""

    id = serializers.IntegerField()
    number = serializers.CharField(help_text="批次编号")
    program = program_field()
    program_label = serializers.SerializerMethodField(help_text="救助项目名称")
    region_code = serializers.CharField(help_text="发放区划代码(县或乡镇)")
    month = MonthField(help_text="发放月份")
    status = CodeField(RunStatus)
    percent = serializers.IntegerField(help_text="生成进度(百分比),生成完毕为100")
    stage = serializers.CharField(help_text="生成进度说明")
    line_count = serializers.IntegerField(help_text="明细笔数")
    beneficiary_count = serializers.IntegerField(help_text="发放人数")
    total_amount = money(help_text="明细合计(元)")
    payable_amount = money(help_text="应付银行金额(元)")
    recovery_amount = money(help_text="待追回金额(元)")
    version = serializers.IntegerField(help_text="版本号,办理时带上以防并发修改")
    created_at = serializers.DateTimeField()

    def get_program_label(self, run: PayrollRun) -> str:
        return program_label(run.program)


class MeetingSerializer(serializers.Serializer[PayrollRun]):
    """The collective decision (集体研究) recorded on the run."""

    meeting_date = serializers.DateField(allow_null=True, help_text="会议日期")
    attendees = serializers.CharField(source="meeting_attendees", help_text="参会人员")
    decision = serializers.CharField(source="meeting_decision", help_text="会议决定")
    approved_by = username("approved_by", help_text="登记人用户名")
    approved_at = serializers.DateTimeField(allow_null=True)


class RunDetailSerializer(RunSerializer):
    cases_total = serializers.IntegerField(help_text="应处理案件数")
    cases_done = serializers.IntegerField(help_text="已处理案件数")
    message = serializers.CharField(help_text="提示")
    started_at = serializers.DateTimeField(allow_null=True, help_text="开始生成时间")
    generated_at = serializers.DateTimeField(allow_null=True, help_text="生成完成时间")
    check_report = serializers.DictField(
        help_text="审核报告: 按乡镇、按类别的合计,与上月相比的新增、增发、减发、停发"
    )
    checked_by = username("checked_by", help_text="审核人用户名")
    checked_at = serializers.DateTimeField(allow_null=True)
    meeting = MeetingSerializer(source="*", help_text="集体审批记录")
    fund_account = FundAccountBriefSerializer(allow_null=True, help_text="支付专户")
    locked_by = username("locked_by")
    locked_at = serializers.DateTimeField(allow_null=True)
    sent_by = username("sent_by")
    sent_at = serializers.DateTimeField(allow_null=True)
    reconciled_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField(help_text="作废原因")
    created_by = username("created_by")
    bank_files = BankFileSerializer(many=True, source="bank_files.all", help_text="银行文件")


class PaymentLineSerializer(serializers.Serializer[PaymentLine]):
    id = serializers.IntegerField()
    run_id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    household_id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    person_name = serializers.CharField(source="person.name", help_text="救助对象姓名")
    id_number = IdNumberField(source="person.id_number")
    program = program_field()
    region_code = serializers.CharField(help_text="所在村(社区)区划代码")
    month = MonthField(help_text="所属月份")
    kind = CodeField(LineKind)
    amount = money(help_text="金额(元),追回为负数")
    note = serializers.CharField(help_text="说明")
    status = CodeField(LineStatus)
    account_name = serializers.CharField(help_text="户名")
    bank_name = serializers.CharField(help_text="开户银行")
    account_number = BankAccountField(help_text="银行账号,按角色脱敏")
    bank_file_id = serializers.IntegerField(allow_null=True)
    bank_row = serializers.IntegerField(allow_null=True, help_text="银行文件行号")
    attempts = serializers.IntegerField(help_text="报送次数")
    failure_reason = serializers.CharField(help_text="失败原因")
    paid_on = serializers.DateField(allow_null=True, help_text="到账日期")


class ReissueLineSerializer(PaymentLineSerializer):
    account_fixed = serializers.BooleanField(help_text="家庭银行账户已更正,可重新发放")


class PaymentHistorySerializer(PaymentLineSerializer):
    """A line of a person's or a household's payment history, with its run."""

    run_number = serializers.CharField(source="run.number", help_text="批次编号")
    run_status = CodeField(RunStatus, source="run.status")


class BankReturnSerializer(serializers.Serializer[BankReturn]):
    id = serializers.IntegerField()
    bank_file_id = serializers.IntegerField()
    run_id = serializers.IntegerField(source="bank_file.run_id")
    file_name = serializers.CharField(help_text="回盘文件名")
    rows = serializers.IntegerField(help_text="行数")
    paid_count = serializers.IntegerField(help_text="成功笔数")
    failed_count = serializers.IntegerField(help_text="失败笔数")
    paid_amount = money(help_text="成功金额(元)")
    failed_amount = money(help_text="失败金额(元)")
    problems = serializers.ListField(
        child=serializers.DictField(),
        help_text='未处理的行: [{"row": 行号, "reason": 原因, "account_number": 账号, ...}]',
    )
    created_by = username("created_by")
    created_at = serializers.DateTimeField()


class FundAccountSerializer(serializers.Serializer[FundAccount]):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="账户名称")
    source = CodeField(FundSource)  # type: ignore[assignment]
    program = CodeField(
        [(code, policy.label) for code, policy in POLICIES.items()],
        name="Program",
        allow_blank=True,
        help_text="适用项目,空为各项目通用",
    )
    region_code = serializers.CharField(help_text="所属县(区)区划代码")
    bank_name = serializers.CharField(help_text="开户银行")
    account_number = serializers.CharField(help_text="账号")
    is_active = serializers.BooleanField()
    note = serializers.CharField()
    created_by = username("created_by")
    created_at = serializers.DateTimeField()


class FundAccountDetailSerializer(FundAccountSerializer):
    balance = money(help_text="余额(元)")
    available = money(help_text="可用余额(元): 余额减去已审批未锁定批次的应付金额")


class FundEntrySerializer(serializers.Serializer[FundEntry]):
    id = serializers.IntegerField()
    account_id = serializers.IntegerField()
    kind = CodeField(FundEntry.Kind, name="FundEntryKind")
    amount = money(help_text="金额(元),收入为正、支出为负")
    entry_date = serializers.DateField(help_text="记账日期")
    document_number = serializers.CharField(help_text="文号/凭证号")
    run_id = serializers.IntegerField(allow_null=True, help_text="关联的发放批次")
    note = serializers.CharField(help_text="摘要")
    created_by = username("created_by")
    created_at = serializers.DateTimeField()


class StatementLineSerializer(serializers.Serializer[Any]):
    entry = FundEntrySerializer()
    balance = money(help_text="该笔后的余额(元)")


class StatementSerializer(serializers.Serializer[Any]):
    account = FundAccountBriefSerializer()
    date_from = serializers.DateField(help_text="起始日期")
    date_to = serializers.DateField(help_text="截止日期")
    opening = money(help_text="期初余额(元)")
    closing = money(help_text="期末余额(元)")
    money_in = money(help_text="本期收入(元)")
    money_out = money(help_text="本期支出(元)")
    totals_by_kind = serializers.DictField(
        child=money(), help_text="按类别的合计: {类别代码: 金额}"
    )
    lines = StatementLineSerializer(many=True, help_text="本期明细,带逐笔余额")


class ColumnSerializer(serializers.Serializer[Any]):
    header = serializers.CharField(max_length=40, help_text="列标题")
    field = CodeField(
        [(f, f) for f in BankTemplate.BATCH_FIELDS],
        name="BankBatchField",
        help_text="列内容",
    )


class BankTemplateSerializer(serializers.Serializer[BankTemplate]):
    id = serializers.IntegerField()
    region_code = serializers.CharField(help_text="所属县(区)区划代码")
    bank_name = serializers.CharField(help_text="银行名称,与家庭的开户银行一致")
    file_format = CodeField(BankTemplate.Format, name="BankFileFormat")
    encoding = CodeField(BankTemplate.Encoding, name="BankFileEncoding")
    delimiter = serializers.CharField(help_text="分隔符(CSV)")
    columns = ColumnSerializer(many=True, help_text="批量文件的列,按顺序")
    return_columns = serializers.DictField(
        child=serializers.CharField(), help_text="回盘文件的列: {内容: 列标题}"
    )
    success_values = serializers.ListField(
        child=serializers.CharField(), help_text="表示成功的处理结果"
    )
    remark_template = serializers.CharField(help_text="摘要模板,如 {year}年{month}月{program}")
    is_active = serializers.BooleanField()
    updated_at = serializers.DateTimeField()
