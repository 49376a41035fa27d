from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from access import signals  # noqa: F401

        post_migrate.connect(_sync_roles, dispatch_uid="access.sync_roles")


def _sync_roles(sender: AppConfig, **kwargs: object) -> None:
    # Runs once per migrate, after the last of our apps' permissions exist.
    from core.discovery import our_app_labels

    if sender.label != our_app_labels()[-1]:
        return
    from django.contrib.auth.models import Group, Permission

    from access.roles import sync_role_permissions

    sync_role_permissions(Group, Permission)
