"""Pol.is import (upload form, progress page) and export (zip download) for facilitators."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from communities.models import Community
from communities.roles import Action
from config.errors import error_response
from config.exceptions import Conflict, Invalid
from config.input_guard import reads_own_body
from elicitation.models import PolisImport, Space
from elicitation.polis import jobs
from elicitation.polis.exporter import ExportMode, polis_export_folder_name, polis_export_zip
from elicitation.polis.forms import PolisImportForm, UploadLimit, too_large_message
from elicitation.selectors import space_access

TEMPLATE = "elicitation/polis_import.html"
JOB_TEMPLATE = "elicitation/polis_import_job.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# Checked by csrf_protect in _polis_import_form, once the upload handlers are
# set: CsrfViewMiddleware would read the body first, with Django's handlers.
@csrf_exempt
@reads_own_body
@login_required
@require_http_methods(["GET", "POST"])
def polis_import(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The upload form; a valid upload becomes a queued job and the browser goes to its page.

    Who may import, the per-person limits and the size limit are checked
    before a byte of the body is read.
    """
    community = jobs.polis_import_community_for_user(user=request.user, slug=slug)
    limit: UploadLimit | None = None
    if request.method == "POST":
        refusal = _refusal_before_reading(request)
        if refusal is not None:
            return _form_page(request, community, PolisImportForm(), refusal)
        limit = UploadLimit(request, settings.POLIS_UPLOAD_MAX_BYTES)
        # Every file goes to a temporary file on disk as it arrives, none in memory.
        request.upload_handlers = [limit, TemporaryFileUploadHandler(request)]
    return _polis_import_form(request, community, limit)


def _refusal_before_reading(request: HttpRequest) -> Conflict | Invalid | None:
    """Why the upload must be refused unread (too large, or a limit), or None."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.POLIS_UPLOAD_MAX_BYTES:
        return _too_large()
    try:
        jobs.polis_import_check_limits(user=request.user)  # type: ignore[arg-type]
    except Conflict as exc:
        return exc
    return None


def _too_large() -> Invalid:
    return Invalid(too_large_message(settings.POLIS_UPLOAD_MAX_BYTES), code=TOO_LARGE_CODE)


TOO_LARGE_CODE = "polis_upload_too_large"
_STATUS_FOR_CODE = {TOO_LARGE_CODE: 413, jobs.DAILY_LIMIT_CODE: 429, jobs.RUNNING_CODE: 409}


@csrf_protect
@vary_on_headers("HX-Request")
def _polis_import_form(
    request: HtmxHttpRequest, community: Community, limit: UploadLimit | None
) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, community, PolisImportForm(), 200)
    form = PolisImportForm(request.POST, request.FILES)
    if limit is not None and limit.exceeded:
        return _form_page(request, community, PolisImportForm(), _too_large())
    if not form.is_valid():
        return _form_page(request, community, form, 400)
    try:
        job = jobs.polis_import_submit(
            community=community,
            actor=request.user,  # type: ignore[arg-type]  # login_required
            uploads=form.uploads(),
            title=form.cleaned_data["title"],
        )
    except Conflict as exc:
        return _form_page(request, community, form, exc)
    url = job.get_absolute_url()
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _form_page(
    request: HtmxHttpRequest,
    community: Community,
    form: PolisImportForm,
    outcome: int | Conflict | Invalid,
) -> HttpResponse:
    """The form (the whole page, or the partial for htmx); a refusal shown above the fields."""
    status, refusal, running = outcome if isinstance(outcome, int) else 400, "", None
    if not isinstance(outcome, int):
        status = _STATUS_FOR_CODE.get(outcome.code, 400)
        refusal, running = outcome.message, outcome.extra.get("job")
    template = f"{TEMPLATE}#import-form" if request.htmx else TEMPLATE
    context = {
        "community": community,
        "form": form,
        "refusal": refusal,
        "running_url": reverse(
            "elicitation:polis_import_job", kwargs={"slug": community.slug, "job_id": running}
        )
        if running
        else "",
        "max_bytes": settings.POLIS_UPLOAD_MAX_BYTES,
        "per_day": settings.POLIS_IMPORTS_PER_DAY,
    }
    return render(request, template, context, status=status)


STEPS = [PolisImport.Status.PARSING, PolisImport.Status.IMPORTING, PolisImport.Status.DONE]


@login_required
@require_GET
@vary_on_headers("HX-Request")
def polis_import_job(request: HtmxHttpRequest, slug: str, job_id: int) -> HttpResponse:
    """An import's progress; the status partial polls itself (htmx) until the job ends."""
    job = jobs.polis_import_get_for_user(user=request.user, slug=slug, job_id=job_id)
    position = {
        PolisImport.Status.QUEUED: 0,
        PolisImport.Status.PARSING: 1,
        PolisImport.Status.IMPORTING: 2,
        PolisImport.Status.DONE: 3,
    }.get(PolisImport.Status(job.status), 0)
    context = {
        "job": job,
        "community": job.community,
        "percent": round(100 * position / len(STEPS)),
        "steps": [(step, i + 1 < position, i + 1 == position) for i, step in enumerate(STEPS)],
        "files": [(jobs.FILE_NAMES[name], size) for name, size in job.files.items()],
        "badge": {
            PolisImport.Status.PARSING: "running",
            PolisImport.Status.IMPORTING: "running",
            PolisImport.Status.DONE: "succeeded",
            PolisImport.Status.DUPLICATE: "pending",
        }.get(PolisImport.Status(job.status), job.status),
    }
    template = f"{JOB_TEMPLATE}#job-status" if request.htmx else JOB_TEMPLATE
    return render(request, template, context)


@login_required
@require_POST
def polis_import_job_decide(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """A duplicate's requester imports a second copy anyway (decision=copy) or cancels."""
    job = jobs.polis_import_get_for_user(user=request.user, slug=slug, job_id=job_id)
    decision = request.POST.get("decision", "")
    if decision == "copy":
        try:
            jobs.polis_import_confirm_copy(job=job)
        except Conflict as exc:
            messages.error(request, exc.message)
    elif decision == "cancel":
        jobs.polis_import_cancel(job=job)
    else:
        return error_response(request, 400, _("Choose decision=copy or decision=cancel."))
    return redirect(job.get_absolute_url())


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
