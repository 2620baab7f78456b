from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from communities.account_views import language_set
from config import views
from config.security import csp_update
from elicitation.apis.votes import vote_cast_api

# The API documentation pages serve Swagger UI and Redoc from our own static
# files (drf-spectacular-sidecar), so they work without internet. The split
# Swagger view serves its start-up script as a file, not inline; both UIs
# style elements at run time and Redoc searches in a blob: worker.
_docs_csp = csp_update(style_src=["'unsafe-inline'"], worker_src=["blob:"])

urlpatterns = [
    # The hottest path first: Django tries patterns in order (26 were tried
    # before it, 9% of a vote's app CPU). Documented under VoteCastApi.
    path("api/v1/spaces/<int:space_id>/votes/", vote_cast_api, name="api-votes"),
    path("", views.home, name="home"),
    # The API next: the page patterns are many.
    path("api/v1/", include("communities.api_urls")),
    path("api/v1/", include("elicitation.api_urls")),
    path("api/v1/", include("aggregation.api_urls")),
    path("api/v1/", include("webhooks.api_urls")),
    path("healthz", views.healthz, name="healthz"),
    # The language switcher (Django's set_language, plus the account's preference).
    path("i18n/setlang/", language_set, name="set_language"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
    path("accounts/", include("communities.account_urls")),
    path("", include("communities.urls")),
    path("", include("elicitation.urls")),
    path("", include("aggregation.urls")),
    path("", include("webhooks.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        _docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        _docs_csp(
            # Our template: the package's loads web fonts from Google.
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
