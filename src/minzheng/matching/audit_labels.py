"""What the matching app's audit events are called in Chinese (see core.audit.ACTION_LABELS)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "matching.dataset_upload": _("上传比对数据"),
    "matching.dataset_map": _("对应比对数据字段"),
    "matching.dataset_validate": _("校验比对数据"),
    "matching.dataset_activate": _("启用比对数据"),
    "matching.dataset_refuse": _("比对数据校验未通过"),
    "matching.run_start": _("发起信息比对"),
    "matching.run_finish": _("信息比对完成"),
    "matching.run_fail": _("信息比对失败"),
    "matching.run_cancel": _("取消信息比对"),
    "matching.flag_confirm": _("疑点核实属实"),
    "matching.flag_dismiss": _("疑点核实不属实"),
    "matching.rule_update": _("修改比对规则设置"),
}
CHANGES: dict[str, Promise] = {
    "status": _("状态"),
    "kind": _("数据类别"),
    "rows": _("数据行数"),
    "rule": _("比对规则"),
    "enabled": _("启用"),
    "threshold": _("匹配阈值"),
    "due_days": _("核实时限(工作日)"),
    "outcome": _("处理结果"),
    "flags": _("新增疑点数"),
}
