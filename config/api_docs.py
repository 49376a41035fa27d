"""The OpenAPI schema and the Swagger UI docs page (who may see them: see ``core.api``).

Kept apart from ``core.api``: importing drf-spectacular's views resolves
``DEFAULT_SCHEMA_CLASS``, which is ``core.api.ApiAutoSchema``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api_permissions import IsSignedIn


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of the API, for any signed-in user."""

    permission_classes = [IsSignedIn]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI, served from our static files; its init script is a separate request."""

    permission_classes = [IsSignedIn]
    url_name = "api-schema"
    template_name = "api/swagger_ui.html"


schema_view = SchemaView.as_view()
# A page for people: anonymous visitors are sent to sign in rather than given a bare 401.
docs_view = login_required(DocsView.as_view())
