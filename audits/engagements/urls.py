"""Routes of evidence, engagements, evidence requests and packs (in the ``audits`` namespace)."""

from django.urls import path

from audits.engagements import views

urlpatterns = [
    path("audits/", views.engagement_list, name="engagement_list"),
    path("audits/new/", views.engagement_create, name="engagement_create"),
    path("audits/<int:pk>/", views.engagement_detail, name="engagement_detail"),
    path("audits/<int:pk>/close/", views.engagement_close, name="engagement_close"),
    path("audits/<int:pk>/packs/", views.pack_request, name="pack_request"),
    path("audits/<int:pk>/requests/new/", views.request_create, name="request_create"),
    path("audits/<int:pk>/requests/import/", views.request_import, name="request_import"),
    path("audits/packs/<int:pk>/download/", views.pack_download, name="pack_download"),
    path("audits/public-key.pem", views.signing_public_key, name="signing_public_key"),
    path("audits/requests/", views.request_list, name="request_list"),
    path("audits/requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("evidence/", views.evidence_list, name="evidence_list"),
    path("evidence/new/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<int:pk>/new-version/", views.evidence_new_version, name="evidence_new_version"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence_download"),
]
