"""Routes of the policies app (included by config/urls.py at the site root)."""

from django.urls import URLPattern, URLResolver, include, path

app_name = "policies"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("policies.urls_patching")),
    path("", include("policies.urls_documents")),
]
