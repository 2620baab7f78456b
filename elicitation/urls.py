from django.urls import URLPattern, URLResolver, path

from elicitation import views_polis

app_name = "elicitation"

urlpatterns: list[URLPattern | URLResolver] = []

# Pol.is import and export.
urlpatterns += [
    path("c/<slug:slug>/import/polis/", views_polis.polis_import, name="polis_import"),
    path("spaces/<int:space_id>/export/polis.zip", views_polis.polis_export, name="polis_export"),
]
