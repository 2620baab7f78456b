"""Pol.is import (upload form) and export (zip download) pages for facilitators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from aggregation.engine.polis_csv import PolisFormatError
from communities.roles import Action, role_allows
from communities.selectors import community_get_visible, membership_for
from config.errors import error_response
from config.exceptions import Invalid
from elicitation.models import Space
from elicitation.polis.exporter import ExportMode, polis_export_folder_name, polis_export_zip
from elicitation.polis.forms import FIELD_FOR_FILE, PolisImportForm
from elicitation.polis.importer import DuplicateImport, space_import_polis
from elicitation.selectors import space_access

TEMPLATE = "elicitation/polis_import.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@login_required
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def polis_import(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    community = community_get_visible(user=request.user, slug=slug)
    membership = membership_for(user=request.user, community=community)
    if not role_allows(membership.role if membership else None, Action.CREATE_SPACE):
        raise PermissionDenied("Only the community's facilitators and owners can import spaces.")
    status = 200
    if request.method == "POST":
        form = PolisImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                space = space_import_polis(
                    community=community,
                    actor=request.user,  # type: ignore[arg-type]  # login_required
                    title=form.cleaned_data["title"],
                    second_copy=bool(form.cleaned_data.get("second_copy")),
                    **form.export_files(),
                )
            except PolisFormatError as exc:
                form.add_error(FIELD_FOR_FILE.get(exc.file, None), f"Nothing imported. {exc}")
            except DuplicateImport as exc:
                form = PolisImportForm(request.POST, request.FILES, offer_second_copy=True)
                form.is_valid()
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Imported “{space.title}” as a draft space: open it when you are ready.",
                )
                url = space.get_absolute_url()
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        # htmx does not swap 4xx responses by default, so the partial that
        # shows the errors goes back as 200; a plain form post gets a 400.
        status = 200 if request.htmx else 400
    else:
        form = PolisImportForm()
    template = f"{TEMPLATE}#import-form" if request.htmx else TEMPLATE
    return render(request, template, {"community": community, "form": form}, status=status)


@login_required
@require_GET
def polis_export(request: HttpRequest, space_id: int) -> HttpResponse:
    """The zip download; spreadsheet-safe unless `?mode=exact` asks for the exact texts."""
    space = space_access(user=request.user, space_id=space_id, action=Action.CREATE_SPACE).space
    try:
        mode = export_mode_parse(request.GET.get("mode"), default=ExportMode.SAFE)
    except Invalid as exc:
        return error_response(request, 400, exc.message)
    return polis_zip_response(space, mode)


def export_mode_parse(raw: str | None, *, default: ExportMode) -> ExportMode:
    """The `mode` query parameter: exact or safe (absent or empty: `default`)."""
    if not raw:
        return default
    try:
        return ExportMode(raw)
    except ValueError:
        raise Invalid(
            _(
                "Unknown mode %(mode)r: use mode=exact (the texts as they are, for tools) or "
                "mode=safe (formula cells neutralised, for spreadsheets)."
            )
            % {"mode": raw},
            code="invalid_mode",
        ) from None


def polis_zip_response(space: Space, mode: ExportMode) -> HttpResponse:
    response = HttpResponse(
        polis_export_zip(space=space, mode=mode), content_type="application/zip"
    )
    name = polis_export_folder_name(space)
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response
