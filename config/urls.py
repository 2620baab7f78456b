from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config import views
from elicitation.apis.votes import vote_cast_api

urlpatterns = [
    # The hottest path first: Django tries patterns in order (26 were tried
    # before it, 9% of a vote's app CPU). Documented under VoteCastApi.
    path("api/v1/spaces/<int:space_id>/votes/", vote_cast_api, name="api-votes"),
    path("", views.home, name="home"),
    # The API next: the page patterns are many.
    path("api/v1/", include("communities.api_urls")),
    path("api/v1/", include("elicitation.api_urls")),
    path("api/v1/", include("aggregation.api_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("communities.account_urls")),
    path("", include("communities.urls")),
    path("", include("elicitation.urls")),
    path("", include("aggregation.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
