"""What the registry's audit events are called in Chinese (see core.audit.ACTION_LABELS)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "person.create": _("登记居民"),
    "person.update": _("修改居民信息"),
    "person.death": _("登记死亡"),
    "household.create": _("新建家庭"),
    "household.update": _("修改家庭信息"),
    "household.member_add": _("增加家庭成员"),
    "household.member_remove": _("减少家庭成员"),
    "household.head_change": _("变更户主"),
    "household.import": _("批量导入家庭"),
    "declaration.create": _("新增经济状况申报"),
}
# Keys of `changes` that are not fields of the event's model.
CHANGES: dict[str, Promise] = {
    "member": _("成员"),
    "members": _("成员人数"),
    "head": _("户主"),
    "date": _("日期"),
    "declaration": _("申报编号"),
    "declared_on": _("申报日期"),
    "incomes": _("收入项数"),
    "assets": _("财产项数"),
}
