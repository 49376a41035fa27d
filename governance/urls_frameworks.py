"""Routes of the governance frameworks pages (included by governance/urls.py)."""

from django.urls import URLPattern, path

from governance.views import frameworks as views
from governance.views import library, owners

urlpatterns: list[URLPattern] = [
    path("frameworks/", views.framework_list, name="framework_list"),
    path("frameworks/export.csv", views.framework_export, name="framework_export"),
    path("frameworks/bulk-owner/", owners.framework_bulk_owner, name="framework_bulk_owner"),
    path("frameworks/import/", views.framework_import, name="framework_import"),
    path("frameworks/format/", library.framework_format, name="framework_format"),
    path("frameworks/library/", library.framework_load_library, name="framework_load_library"),
    path("frameworks/<int:pk>/", views.framework_detail, name="framework_detail"),
    path("requirements/", views.requirement_list, name="requirement_list"),
    path("requirements/export.csv", views.requirement_export, name="requirement_export"),
    path("requirements/bulk-owner/", owners.requirement_bulk_owner, name="requirement_bulk_owner"),
    path("requirements/applicability/", views.requirement_bulk_applicability, name="requirement_bulk_applicability"),
    path("requirements/<int:pk>/", views.requirement_detail, name="requirement_detail"),
    path("requirements/<int:pk>/applicability/", views.requirement_applicability, name="requirement_applicability"),
]
