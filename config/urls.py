"""All routes. Every one of them must be listed in tests/security/expectations/."""

from django.urls import include, path

from config import views
from config.api_docs import docs_view, schema_view
from core.api import router
from core.discovery import discover_modules

discover_modules("api")  # each app's api module registers its viewsets on the router

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("jobs.urls")),
    path("", include("access.urls")),
    path("", include("audits.urls")),
    path("governance/", include("governance.urls")),
    path("", include("policies.urls")),
    path("backups/", include("backups.urls")),
    path("reviews/", include("reviews.urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", schema_view, name="api-schema"),
    path("api/docs/", docs_view, name="api-docs"),
]

# URL-level 404s are JSON under /api/ (see core.api.not_found).
handler404 = "core.api.not_found"
