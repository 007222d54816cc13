from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "minzheng.payments"
    label = "payments"
    verbose_name = "资金发放"

    def ready(self) -> None:
        from minzheng.core.audit import register_audit_labels
        from minzheng.payments.audit_labels import ACTIONS, CHANGES

        register_audit_labels(actions=ACTIONS, changes=CHANGES)

        from minzheng.core.templatetags.layout import register_abilities
        from minzheng.payments.permissions import ABILITIES

        register_abilities(ABILITIES)

        from minzheng.payments.receivers import on_demo_loaded
        from minzheng.registry.signals import demo_loaded

        demo_loaded.connect(on_demo_loaded, dispatch_uid="payments.on_demo_loaded")
