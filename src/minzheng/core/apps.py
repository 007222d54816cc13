from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "minzheng.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from minzheng.core import signals
        from minzheng.core.audit import register_audit_labels
        from minzheng.core.audit_labels import ACTIONS, CHANGES

        signals.connect()
        register_audit_labels(actions=ACTIONS, changes=CHANGES)
