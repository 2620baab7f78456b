"""REST API routes of the elicitation app, mounted under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from elicitation.apis_polis import SpacePolisExportApi

urlpatterns: list[URLPattern | URLResolver] = []

# Pol.is export.
urlpatterns += [
    path(
        "spaces/<int:space_id>/export/polis.zip",
        SpacePolisExportApi.as_view(),
        name="api-space-export-polis",
    ),
]
