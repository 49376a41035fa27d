from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing: no models, imports no app of ours."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import lookups

        lookups.register()
