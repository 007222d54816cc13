"""What the payments app's audit events are called in Chinese (see core.audit.ACTION_LABELS)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "payroll.start": _("发起发放批次"),
    "payroll.generate": _("生成发放明细"),
    "payroll.regenerate": _("重新生成发放明细"),
    "payroll.check": _("审核发放批次"),
    "payroll.approve": _("登记集体审批"),
    "payroll.lock": _("锁定发放批次"),
    "payroll.send": _("生成银行文件并报送"),
    "payroll.bank_return": _("导入银行回盘"),
    "payroll.reissue": _("失败重发"),
    "payroll.reconcile": _("对账完成"),
    "payroll.cancel": _("作废发放批次"),
    "payroll.recovery": _("登记追回"),
    "fund.account_create": _("新建资金专户"),
    "fund.entry": _("专户记账"),
    "bank_template.save": _("保存银行文件模板"),
}
CHANGES: dict[str, Promise] = {
    "status": _("状态"),
    "total_amount": _("明细合计"),
    "payable_amount": _("应付银行金额"),
    "recovery_amount": _("待追回金额"),
    "kinds": _("各类明细笔数"),
    "line_count": _("明细笔数"),
    "fund_account": _("支付专户"),
    "meeting_date": _("会议日期"),
    "amount": _("金额"),
    "balance": _("余额"),
    "files": _("银行文件"),
    "paid": _("成功笔数"),
    "failed": _("失败笔数"),
    "problems": _("未处理的行"),
    "no_account": _("缺少账户笔数"),
    "month": _("发放月份"),
    "file": _("银行文件"),
    "return_file": _("回盘文件"),
    "failed_amount": _("失败金额"),
    "lines": _("发放明细"),
    "line": _("发放明细"),
    "person": _("救助对象"),
    "receipt": _("收据号"),
}
