from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "minzheng.matching"
    label = "matching"
    verbose_name = "信息比对"

    def ready(self) -> None:
        from minzheng.core.audit import register_audit_labels
        from minzheng.matching.audit_labels import ACTIONS, CHANGES

        register_audit_labels(actions=ACTIONS, changes=CHANGES)

        from minzheng.core.templatetags.layout import register_abilities
        from minzheng.matching.permissions import ABILITIES

        register_abilities(ABILITIES)

        from minzheng.matching.receivers import on_review_completed
        from minzheng.programs.signals import review_completed

        review_completed.connect(on_review_completed, dispatch_uid="matching.on_review_completed")

        from minzheng.matching.demo_receivers import on_demo_loaded
        from minzheng.registry.signals import demo_loaded

        demo_loaded.connect(on_demo_loaded, dispatch_uid="matching.on_demo_loaded")
