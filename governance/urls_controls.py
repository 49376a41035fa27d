"""Routes of the governance controls pages (included by governance/urls.py)."""

from django.urls import URLPattern, path

from governance.views import compliance, owners
from governance.views import controls as views

urlpatterns: list[URLPattern] = [
    path("", compliance.dashboard, name="dashboard"),
    path("controls/", views.control_list, name="control_list"),
    path("controls/export.csv", views.control_csv, name="control_csv"),
    path("controls/bulk-owner/", owners.control_bulk_owner, name="control_bulk_owner"),
    path("controls/new/", views.control_create, name="control_create"),
    path("controls/requirement-search/", views.control_requirement_search, name="control_requirement_search"),
    path("controls/<int:pk>/", views.control_detail, name="control_detail"),
    path("controls/<int:pk>/edit/", views.control_edit, name="control_edit"),
    path("controls/<int:pk>/record-test/", views.control_record_test, name="control_record_test"),
    path("control-tests/", views.control_test_list, name="control_test_list"),
    path("control-tests/bulk-assign/", owners.control_test_bulk_assign, name="control_test_bulk_assign"),
    path("control-tests/export.csv", views.control_test_csv, name="control_test_csv"),
    path("soa/<int:pk>/", compliance.soa, name="soa"),
    path("soa/<int:pk>/export.csv", compliance.soa_csv, name="soa_csv"),
]
