from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "minzheng.registry"
    label = "registry"
    verbose_name = "居民与家庭"

    def ready(self) -> None:
        from minzheng.core.audit import register_audit_labels
        from minzheng.registry.audit_labels import ACTIONS, CHANGES

        register_audit_labels(actions=ACTIONS, changes=CHANGES)
