from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = "Policies"

    def ready(self) -> None:
        from core.hooks import register_dashboard_panel
        from policies.selectors.documents import dashboard_panel
        from policies.selectors.patching import patch_dashboard_panel

        # Overdue policy reviews and acknowledgement gaps on the compliance dashboard (governance cannot import us).
        register_dashboard_panel("policies", "policies/documents/_dashboard_panel.html", dashboard_panel)
        # Patch compliance, overdue findings and the last full check beside them.
        register_dashboard_panel("policies.patches", "policies/patches/_dashboard_panel.html", patch_dashboard_panel)
