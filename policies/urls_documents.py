"""Routes of the policy pages, under ``/policies/`` (included by policies/urls.py)."""

from django.urls import URLPattern, path

from policies.views import documents as views

urlpatterns: list[URLPattern] = [
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/export.csv", views.policy_export, name="policy_export"),
    path("policies/to-read/", views.to_read, name="to_read"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/library/load/", views.library_load, name="policy_library_load"),
    path("policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/new-draft/", views.new_draft, name="policy_new_draft"),
    path("policies/<int:pk>/retire/", views.policy_retire, name="policy_retire"),
    path("policies/<int:pk>/reviewed/", views.policy_reviewed, name="policy_reviewed"),
    path("policies/<int:pk>/remind/", views.policy_remind, name="policy_remind"),
    path("policies/<int:pk>/v<int:number>/", views.version_detail, name="version_detail"),
    path("policies/<int:pk>/v<int:number>/edit/", views.draft_edit, name="draft_edit"),
    path("policies/<int:pk>/v<int:number>/diff/", views.version_diff, name="version_diff"),
    path("policies/<int:pk>/v<int:number>/submit/", views.version_submit, name="version_submit"),
    path("policies/<int:pk>/v<int:number>/send-back/", views.version_send_back, name="version_send_back"),
    path("policies/<int:pk>/v<int:number>/approve/", views.version_approve, name="version_approve"),
    path("policies/<int:pk>/v<int:number>/publish/", views.version_publish, name="version_publish"),
    path("policies/<int:pk>/v<int:number>/acknowledge/", views.acknowledge, name="acknowledge"),
    path(
        "policies/<int:pk>/v<int:number>/acknowledgements.csv",
        views.acknowledgement_export,
        name="acknowledgement_export",
    ),
]
