"""The owners' webhooks page: register endpoints, read deliveries, re-send, disable, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities.models import Community
from webhooks import selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import WebhookEndpoint


def _page(
    request: HttpRequest,
    community: Community,
    form: EndpointForm,
    *,
    created: WebhookEndpoint | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "webhooks/page.html",
        {
            "community": community,
            "form": form,
            "created": created,
            "endpoints": selectors.webhook_page_rows(community=community),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhooks_page(request: HttpRequest, slug: str) -> HttpResponse:
    """GET lists the endpoints and their deliveries; POST registers one and shows its
    secret, this once (the answer to the POST, never a page that can be reloaded later)."""
    community = selectors.webhook_community_for_owner(user=request.user, slug=slug)
    if request.method == "GET":
        return _page(request, community, EndpointForm())
    form = EndpointForm(request.POST)
    assert isinstance(request.user, User)  # login_required
    if form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(
                community=community, actor=request.user, **form.service_fields()
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return _page(request, community, EndpointForm(), created=endpoint, status=201)
    return _page(request, community, form, status=400)


def _endpoint(request: HttpRequest, slug: str, endpoint_id: int) -> WebhookEndpoint:
    community = selectors.webhook_community_for_owner(user=request.user, slug=slug)
    return selectors.webhook_endpoint_get(community=community, endpoint_id=endpoint_id)


@login_required
@require_POST
def webhook_set_enabled(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponseBase:
    endpoint = _endpoint(request, slug, endpoint_id)
    enabled = request.POST.get("enabled") == "1"
    services.webhook_endpoint_set_enabled(endpoint=endpoint, enabled=enabled)
    if enabled:
        message = _("Enabled: %(url)s receives events again.")
    else:
        message = _("Disabled: %(url)s receives no events until you enable it.")
    messages.success(request, message % {"url": endpoint.url})
    return redirect("webhooks:page", slug=slug)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, slug: str, endpoint_id: int) -> HttpResponseBase:
    endpoint = _endpoint(request, slug, endpoint_id)
    services.webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, _("Deleted the webhook %(url)s.") % {"url": endpoint.url})
    return redirect("webhooks:page", slug=slug)


@login_required
@require_POST
def webhook_delivery_resend(
    request: HttpRequest, slug: str, endpoint_id: int, delivery_id: int
) -> HttpResponseBase:
    endpoint = _endpoint(request, slug, endpoint_id)
    delivery = selectors.webhook_delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    services.webhook_delivery_resend(delivery=delivery)
    messages.success(
        request,
        _("Delivery %(id)s is being sent again; reload the page to see how it went.")
        % {"id": delivery.pk},
    )
    return redirect("webhooks:page", slug=slug)
