"""All routes. Every one of them must be listed in tests/security/expectations/."""

from django.urls import include, path

import audits.api  # noqa: F401  (registers its viewsets on the router)
import governance.api  # noqa: F401  (registers its viewsets on the router)
import workbench.api_jobs  # noqa: F401  (registers its viewsets on the router)
from workbench.api import router

urlpatterns = [
    path("", include("workbench.web_urls")),
    path("", include("access.urls")),
    path("", include("audits.urls")),
    path("governance/", include("governance.urls")),
    path("api/v1/", include(router.urls)),
]
