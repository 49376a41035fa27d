"""All routes. Every one of them must be listed in tests/security/expectations/."""

from django.urls import include, path

from workbench.api import router

urlpatterns = [
    path("", include("workbench.web_urls")),
    path("", include("access.urls")),
    path("api/v1/", include(router.urls)),
]
