from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audits"

    def ready(self) -> None:
        from audits import registry
        from audits.checkpoints import MANIFEST_FIELD, checkpoint_as_json, make_checkpoint
        from audits.engagements.selectors import controls_with_expired_evidence, expired_evidence_panel
        from audits.scope import auditor_scope
        from audits.selectors import trail_length
        from core.hooks import register_dashboard_panel, register_manifest_extra
        from core.memo import register_change_marker
        from core.scopes import register_scope_provider
        from governance.flags import ControlFlag, register_control_flag

        registry.register_audited_models()
        # Every change leaves an entry: pages that keep costly figures count again once the trail grew.
        register_change_marker("audit_trail", trail_length)
        # Every backup manifest carries a signed checkpoint of the trail (backups cannot import audits).
        register_manifest_extra(MANIFEST_FIELD, lambda: checkpoint_as_json(make_checkpoint(reason="backup manifest")))
        register_scope_provider("audits.engagements", auditor_scope)
        # Governance may not import audits: the expired-evidence flag and panel are lent to it.
        register_control_flag(
            ControlFlag(
                name="expired_evidence",
                label="Expired evidence",
                title="Evidence linked to this control is past its valid-until date: upload a new version.",
                raised_among=controls_with_expired_evidence,
            )
        )
        register_dashboard_panel("audits.evidence", "audits/_dashboard_evidence_panel.html", expired_evidence_panel)
