"""The e-mail preferences of the account page, and unsubscribing from a link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.api_errors import http_status
from config.exceptions import ApplicationError
from notifications import services
from notifications.forms import PreferencesForm


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = PreferencesForm(request.POST)
    if not form.is_valid():  # unchecked boxes are simply absent: only tampering gets here
        messages.error(request, _("Those e-mail preferences could not be read; nothing changed."))
        return redirect(reverse("accounts:account") + "#notifications-title")
    services.preferences_update(user=user, **form.cleaned_data)
    messages.success(request, _("Your e-mail preferences are saved."))
    return redirect(reverse("accounts:account") + "#notifications-title")


# The token is the credential (it names one account or address and one
# topic, signed with SECRET_KEY), so a CSRF token would protect nothing, and
# mail clients' one-click unsubscribe (RFC 8058) POSTs without one.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners and previews only GET, and must not unsubscribe); POST does it."""
    try:
        target = services.unsubscribe_read(token)
    except ApplicationError as error:
        return render(
            request,
            "notifications/unsubscribe.html",
            {"problem": error.message},
            status=http_status(error),
        )
    done = False
    if request.method == "POST":
        services.unsubscribe_apply(unsubscribe=target)
        done = True
    return render(
        request,
        "notifications/unsubscribe.html",
        {
            "target": target,
            "done": done,
            "already": not done and target.is_done,
            "topic_label": target.topic.label,
        },
    )
