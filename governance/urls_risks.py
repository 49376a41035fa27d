"""Routes of the governance risk, asset, exception and finding pages (included by governance/urls.py)."""

from django.urls import URLPattern, path

from governance.views import assets, exceptions, findings, owners, risks

urlpatterns: list[URLPattern] = [
    # Risks
    path("risks/", risks.risk_list, name="risk_list"),
    path("risks/export.csv", risks.risk_export, name="risk_export"),
    path("risks/bulk-owner/", owners.risk_bulk_owner, name="risk_bulk_owner"),
    path("risks/new/", risks.risk_create, name="risk_create"),
    path("risks/heat-map/", risks.risk_heatmap, name="risk_heatmap"),
    path("risks/matrix/", risks.risk_matrix, name="risk_matrix"),
    path("risks/matrix.css", risks.risk_matrix_css, name="risk_matrix_css"),
    path("risks/<int:pk>/", risks.risk_detail, name="risk_detail"),
    path("risks/<int:pk>/edit/", risks.risk_edit, name="risk_edit"),
    path("risks/<int:pk>/close/", risks.risk_close, name="risk_close"),
    path("risks/<int:pk>/reopen/", risks.risk_reopen, name="risk_reopen"),
    # Assets
    path("assets/", assets.asset_list, name="asset_list"),
    path("assets/export.csv", assets.asset_export, name="asset_export"),
    path("assets/bulk-owner/", owners.asset_bulk_owner, name="asset_bulk_owner"),
    path("assets/new/", assets.asset_create, name="asset_create"),
    path("assets/<int:pk>/", assets.asset_detail, name="asset_detail"),
    path("assets/<int:pk>/edit/", assets.asset_edit, name="asset_edit"),
    path("assets/<int:pk>/deactivate/", assets.asset_deactivate, name="asset_deactivate"),
    path("assets/<int:pk>/reactivate/", assets.asset_reactivate, name="asset_reactivate"),
    # Exceptions
    path("exceptions/", exceptions.exception_list, name="exception_list"),
    path("exceptions/bulk-owner/", owners.exception_bulk_owner, name="exception_bulk_owner"),
    path("exceptions/export.csv", exceptions.exception_export, name="exception_export"),
    path("exceptions/new/", exceptions.exception_request, name="exception_request"),
    path("exceptions/<int:pk>/", exceptions.exception_detail, name="exception_detail"),
    path("exceptions/<int:pk>/decide/", exceptions.exception_decide, name="exception_decide"),
    path("exceptions/<int:pk>/revoke/", exceptions.exception_revoke, name="exception_revoke"),
    # Findings
    path("findings/", findings.finding_list, name="finding_list"),
    path("findings/bulk-owner/", owners.finding_bulk_owner, name="finding_bulk_owner"),
    path("findings/export.csv", findings.finding_export, name="finding_export"),
    path("findings/new/", findings.finding_create, name="finding_create"),
    path("findings/<int:pk>/", findings.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/edit/", findings.finding_edit, name="finding_edit"),
    path("findings/<int:pk>/close/", findings.finding_close, name="finding_close"),
    path("findings/<int:pk>/reopen/", findings.finding_reopen, name="finding_reopen"),
]
