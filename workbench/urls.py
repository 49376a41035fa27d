"""All routes. Every one of them must be listed in tests/security/expectations/."""

from django.urls import include, path

import access.api  # noqa: F401  (registers its viewsets on the router)
import audits.api  # noqa: F401  (registers its viewsets on the router)
import governance.api  # noqa: F401  (registers its viewsets on the router)
import workbench.api_jobs  # noqa: F401  (registers its viewsets on the router)
from workbench.api import router
from workbench.api_docs import docs_view, schema_view

urlpatterns = [
    path("", include("workbench.web_urls")),
    path("", include("access.urls")),
    path("", include("audits.urls")),
    path("governance/", include("governance.urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", schema_view, name="api-schema"),
    path("api/docs/", docs_view, name="api-docs"),
]

# URL-level 404s are JSON under /api/ (see workbench.api.not_found).
handler404 = "workbench.api.not_found"
