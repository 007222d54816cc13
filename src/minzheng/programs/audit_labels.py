"""What the case engine's audit events are called in Chinese (see core.audit.ACTION_LABELS).
Every module of the engine adds its actions here."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "case.apply_online": _("网上申请"),
    "case.accept": _("受理申请"),
    "case.step_complete": _("办理环节"),
    "case.members_set": _("核定保障成员"),
    "case.withdraw": _("撤回申请"),
    "case.approve": _("审批同意"),
    "case.refuse": _("不予批准"),
    "case.enroll": _("纳入保障"),
    "case.close": _("办结"),
    "case.return": _("退回重办"),
    "case.document_upload": _("上传材料"),
    "case.objection_register": _("登记公示异议"),
    "case.objection_resolve": _("处理公示异议"),
    "case.benefit_change": _("保障金额变动"),
    "case.suspend": _("暂停发放"),
    "case.resume": _("恢复发放"),
    "case.terminate": _("终止保障"),
    "case.exit_grace": _("进入渐退期"),
    "case.grant": _("发放一次性救助"),
    "standard.set": _("设置救助标准"),
    "standard.recalculate": _("标准调整重新核算"),
    "review.create": _("生成复核任务"),
    "review.complete": _("完成复核"),
    "tipoff.register": _("登记举报投诉"),
    "tipoff.close": _("办结举报投诉"),
    "relative.file": _("近亲属备案"),
    "relative.revoke": _("撤销近亲属备案"),
    # dynamic management (services/reviews.py, tipoffs.py, relatives.py)
    "case.relative_flag": _("标记近亲属备案"),
    "tipoff.assign": _("指派举报投诉承办人"),
}
CHANGES: dict[str, Promise] = {
    "step": _("环节"),
    "round": _("轮次"),
    "outcome": _("结果"),
    "amount": _("金额"),
    "from_month": _("起始月份"),
    "cases": _("案件数"),
    # dynamic management (services/reviews.py, tipoffs.py, relatives.py)
    "review": _("复核"),
    "kind": _("类型"),
    "relative_filing": _("近亲属备案"),
    "tipoff": _("举报投诉"),
    "termination_notice": _("终止公示"),
    "staff_user": _("工作人员账号"),
    # documents (services/documents.py)
    "document": _("材料"),
    "original_name": _("文件名"),
    "size": _("大小(字节)"),
}
