"""What the kernel's audit events are called in Chinese (see core.audit.ACTION_LABELS)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "user.create": _("新建用户"),
    "user.update": _("修改用户"),
    "user.set_password": _("重置密码"),
    "regions.load": _("导入行政区划"),
    "region.update": _("修改行政区划"),
    "calendar.add": _("录入节假日调整"),
    "calendar.delete": _("删除节假日调整"),
}
CHANGES: dict[str, Promise] = {
    "rows": _("行数"),
    "password": _("密码"),
}
