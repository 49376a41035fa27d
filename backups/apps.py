from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "backups"
    verbose_name = "Backups"

    def ready(self) -> None:
        from backups.selectors import attention_for
        from core.hooks import register_dashboard_panel

        def panel(user: object) -> dict[str, object] | None:
            attention = attention_for(user)
            return None if attention is None else {"backups": attention}

        register_dashboard_panel("backups", "backups/_dashboard_panel.html", panel)
