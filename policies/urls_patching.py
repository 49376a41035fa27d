"""Routes of the patch-check pages (included by policies/urls.py)."""

from django.urls import URLPattern, path

from policies.views import patching

urlpatterns: list[URLPattern] = [
    path("patches/", patching.finding_list, name="patch_findings"),
    path("patches/export.csv", patching.finding_export, name="patch_finding_export"),
    path("patches/findings/<int:pk>/", patching.finding_detail, name="patch_finding_detail"),
    path("patches/findings/<int:pk>/accept/", patching.finding_accept, name="patch_finding_accept"),
    path("patches/inventories/", patching.inventory_list, name="inventory_list"),
    path("patches/inventories/upload/", patching.inventory_upload, name="inventory_upload"),
    path("patches/inventories/<int:pk>/", patching.inventory_detail, name="inventory_detail"),
    path("patches/assets/<int:pk>/", patching.asset_patch_status, name="asset_patch_status"),
    path("patches/advisories/", patching.advisory_list, name="advisory_list"),
    path("patches/advisories/<int:pk>/", patching.advisory_detail, name="advisory_detail"),
    path("patches/policy/", patching.patch_policy, name="patch_policy"),
]
