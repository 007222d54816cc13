from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "minzheng.programs"
    label = "programs"
    verbose_name = "社会救助"

    def ready(self) -> None:
        from minzheng.core.audit import register_audit_labels
        from minzheng.programs.audit_labels import ACTIONS, CHANGES

        register_audit_labels(actions=ACTIONS, changes=CHANGES)

        from minzheng.core.templatetags.layout import register_abilities
        from minzheng.programs.permissions import ABILITIES

        register_abilities(ABILITIES)

        from minzheng.programs.receivers import on_demo_loaded, on_person_died
        from minzheng.registry.signals import demo_loaded, person_died

        person_died.connect(on_person_died, dispatch_uid="programs.on_person_died")
        demo_loaded.connect(on_demo_loaded, dispatch_uid="programs.on_demo_loaded")
