from django.urls import path

from webhooks import apis

urlpatterns = [
    path(
        "communities/<slug:slug>/webhooks/",
        apis.WebhookListCreateApi.as_view(),
        name="api-webhooks",
    ),
    path(
        "communities/<slug:slug>/webhooks/<int:endpoint_id>/",
        apis.WebhookDeleteApi.as_view(),
        name="api-webhook",
    ),
    path(
        "communities/<slug:slug>/webhooks/<int:endpoint_id>/deliveries/",
        apis.WebhookDeliveryListApi.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "communities/<slug:slug>/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend/",
        apis.WebhookDeliveryResendApi.as_view(),
        name="api-webhook-delivery-resend",
    ),
]
