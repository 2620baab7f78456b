from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("c/<slug:slug>/webhooks/", views.webhooks_page, name="page"),
    path(
        "c/<slug:slug>/webhooks/<int:endpoint_id>/enabled/",
        views.webhook_set_enabled,
        name="set_enabled",
    ),
    path("c/<slug:slug>/webhooks/<int:endpoint_id>/delete/", views.webhook_delete, name="delete"),
    path(
        "c/<slug:slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend/",
        views.webhook_delivery_resend,
        name="resend",
    ),
]
