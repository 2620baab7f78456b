"""Pages of the aggregation app: runs and their progress, profile review, the profile itself."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from aggregation import exports, profiles, selectors, services
from aggregation.models import AnalysisRun, ValueProfile
from aggregation.results import StoredResult
from config.api_errors import http_status
from config.exceptions import ApplicationError
from elicitation.models import ModerationAction

RUNS_SHOWN = 30


@require_GET
def value_profile_schema(request: HttpRequest) -> HttpResponse:
    """The JSON Schema of value-profile/1 at a stable URL, for clients that validate exports."""
    response = JsonResponse(profiles.json_schema(), json_dumps_params={"indent": 2})
    response["Content-Type"] = "application/schema+json"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def export_schema(request: HttpRequest, name: str) -> HttpResponse:
    """The JSON Schemas of the exports for AI work, like value-profile-1.json."""
    if name not in exports.SCHEMA_FILES:
        raise Http404(
            _("No schema %(name)r: try one of %(names)s.")
            % {"name": name, "names": ", ".join(sorted(exports.SCHEMA_FILES))}
        )
    response = JsonResponse(exports.schema(name), json_dumps_params={"indent": 2})
    response["Content-Type"] = "application/schema+json"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def profile_compare(request: HttpRequest) -> HttpResponse:
    """Two published profiles side by side; the choices are the versions the reader may read."""
    choices = selectors.published_profiles_readable(user=request.user)
    a_text, b_text = request.GET.get("a", ""), request.GET.get("b", "")
    comparison: dict[str, Any] | None = None
    error = ""
    status = 200
    if a_text or b_text:
        try:
            a = selectors.profile_ref_parse(a_text, field=_("First profile"))
            b = selectors.profile_ref_parse(b_text, field=_("Second profile"))
        except ValueError as exc:
            error, status = str(exc), 400
        else:
            comparison = selectors.profile_comparison(user=request.user, a=a, b=b)
    context = {
        "choices": [
            {
                "ref": f"{p.space_id}:{p.version}",
                # The version first: a phone's select shows the start of the label.
                "label": (
                    _("Version %(version)s (retracted) · %(space)s · %(community)s")
                    if p.status == ValueProfile.Status.RETRACTED
                    else _("Version %(version)s · %(space)s · %(community)s")
                )
                % {
                    "version": p.version,
                    "space": p.space.title,
                    "community": p.space.community.name,
                },
            }
            for p in choices
        ],
        "a": a_text,
        "b": b_text,
        "comparison": comparison,
        "error": error,
    }
    return render(request, "aggregation/compare.html", context, status=status)


@login_required
@require_GET
def space_analysis(request: HttpRequest, space_id: int) -> HttpResponse:
    """Facilitators' overview: request a run, the runs so far, drafts and published versions."""
    space = selectors.space_for_analysis(user=request.user, space_id=space_id)
    runs = list(selectors.runs_of_space(space=space).select_related("requested_by")[:RUNS_SHOWN])
    versions = list(
        selectors.profiles_visible(user=request.user, space=space).order_by(
            "-version", "-created_at"
        )
    )
    active = next(
        (r for r in runs if r.status in (AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING)),
        None,
    )
    return render(
        request,
        "aggregation/space_analysis.html",
        {"space": space, "runs": runs, "profiles": versions, "active": active},
    )


@login_required
@require_POST
def run_request(request: HttpRequest, space_id: int) -> HttpResponse:
    space = selectors.space_for_analysis(user=request.user, space_id=space_id)
    run = services.run_request(
        space=space,
        trigger=AnalysisRun.Trigger.MANUAL,
        requested_by=request.user,  # type: ignore[arg-type]
    )
    if run is None:
        messages.info(request, _("An analysis of this space is already queued or running."))
        active = (
            selectors.runs_of_space(space=space)
            .filter(status__in=[AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING])
            .first()
        )
        if active is None:  # it finished in the meantime
            return redirect("aggregation:space-analysis", space_id=space.pk)
        return redirect("aggregation:run", run_id=active.pk)
    messages.success(request, _("Analysis requested: this page follows its progress."))
    return redirect("aggregation:run", run_id=run.pk)


STAGE_ORDER = [
    AnalysisRun.Stage.QUEUED,
    AnalysisRun.Stage.READING,
    AnalysisRun.Stage.GROUPS,
    AnalysisRun.Stage.BRIDGING,
    AnalysisRun.Stage.PAIRWISE,
    AnalysisRun.Stage.RANKINGS,
    AnalysisRun.Stage.BOOTSTRAP,
    AnalysisRun.Stage.SAVING,
    AnalysisRun.Stage.DONE,
]


@login_required
@require_GET
@vary_on_headers("HX-Request")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run's progress; the status partial polls itself (htmx) until the run finishes."""
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    position = STAGE_ORDER.index(AnalysisRun.Stage(run.stage)) if run.stage in STAGE_ORDER else 0
    active = run.status in (AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING)
    draft = run.profiles.first() if run.status == AnalysisRun.Status.SUCCEEDED else None
    context = {
        "run": run,
        "space": run.space,
        "active": active,
        "draft": draft,
        "percent": round(100 * position / (len(STAGE_ORDER) - 1)),
        "stages": [(s, i < position, i == position) for i, s in enumerate(STAGE_ORDER[1:-1], 1)],
    }
    template = "aggregation/run_detail.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#run-status"
    return render(request, template, context)


def _profile_context(profile: ValueProfile) -> dict[str, Any]:
    content = selectors.profile_content(profile=profile)
    rules = profiles._rules(content)
    return {
        "profile": profile,
        "content": content,
        "values": content["values"],
        "rules": rules,
        "group_ids": [g["id"] for g in content["opinion_groups"]],
    }


@require_GET
def profile_page(request: HttpRequest, space_id: int, version: int | None = None) -> HttpResponse:
    """The published profile, readable by anyone who may see the space's results."""
    space = selectors.space_for_results(user=request.user, space_id=space_id)
    may_manage = selectors.may_manage_profiles(user=request.user, space=space)
    if version is None:
        profile = selectors.profile_latest_published(space=space)
        if profile is None:
            # A page rather than a bare 404: participants follow the tab here
            # before anything is published.
            return render(
                request,
                "aggregation/profile_none.html",
                {"space": space, "may_manage": may_manage},
                status=404,
            )
    else:
        profile = selectors.profile_get_version(space=space, version=version)
    history = list(
        selectors.profiles_visible(user=request.user, space=space)
        .exclude(status=ValueProfile.Status.DRAFT)
        .order_by("-version")
    )
    context = {
        **_profile_context(profile),
        "space": space,
        "history": history,
        "may_manage": may_manage,
    }
    return render(request, "aggregation/profile.html", context)


def _review_response(
    request: HttpRequest, profile: ValueProfile, *, status: int = 200
) -> HttpResponse:
    space = profile.space
    previous: ValueProfile | None = None
    diff: dict[str, Any] | None
    stale: list[dict[str, Any]] = []
    if profile.status == ValueProfile.Status.DRAFT:
        previous = selectors.profile_latest_published(space=space)
        diff = profiles.diff(
            previous.content if previous else None, selectors.profile_content(profile=profile)
        )
        stale = selectors.profile_stale_changes(profile=profile)
    else:
        diff = profile.diff
    decisions = ModerationAction.objects.filter(
        space=space,
        action__in=[
            ModerationAction.Action.PUBLISH_PROFILE,
            ModerationAction.Action.RETRACT_PROFILE,
            ModerationAction.Action.EXCLUDE_VALUE,
        ],
    ).select_related("actor")[:20]
    summaries = StoredResult.from_json(profile.run.result).summaries
    abstractive = (summaries.get("abstractive") or {}).get("sentences") or []
    context = {
        "machine_summary": [*summaries.get("space", []), *abstractive],
        **_profile_context(profile),
        "space": space,
        "previous": previous,
        "diff": diff,
        "decisions": decisions,
        "stale": stale,
        "editable": [
            {
                "statement": v["statement"],
                "rank": v["rank"],
                "text": v["text"],
                "note": profile.value_notes.get(str(v["statement"]), ""),
                "principle": profile.principle_wordings.get(str(v["statement"]), ""),
                "excluded": str(v["statement"]) in profile.exclusions,
                "reason": profile.exclusions.get(str(v["statement"]), ""),
            }
            for v in profile.content["values"]
        ]
        if profile.status == ValueProfile.Status.DRAFT
        else [],
    }
    return render(request, "aggregation/profile_review.html", context, status=status)


@login_required
@require_GET
def profile_review(request: HttpRequest, profile_id: int) -> HttpResponse:
    """Facilitators review a draft (with the diff it would publish) or manage a version."""
    profile = selectors.profile_get_for_publisher(user=request.user, profile_id=profile_id)
    return _review_response(request, profile)


def _refused(
    request: HttpRequest, profile: ValueProfile, error: ValidationError | ApplicationError
) -> HttpResponse:
    """The review page again with why the change was refused: 400 for bad input, else its status."""
    if isinstance(error, ApplicationError):
        messages.error(request, error.message)
        return _review_response(request, profile, status=http_status(error))
    messages.error(request, " ".join(error.messages))
    return _review_response(request, profile, status=400)


@login_required
@require_POST
def profile_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    """Save a draft's summary, per-value notes and exclusions (one form for all three)."""
    profile = selectors.profile_get_for_publisher(user=request.user, profile_id=profile_id)
    notes: dict[str, str] = {}
    exclusions: dict[str, str] = {}
    principles: dict[str, str] = {}
    for value in profile.content["values"]:
        number = str(value["statement"])
        notes[number] = request.POST.get(f"note-{number}", "")
        principles[number] = request.POST.get(f"principle-{number}", "")
        if request.POST.get(f"exclude-{number}"):
            exclusions[number] = request.POST.get(f"reason-{number}", "")
    try:
        services.profile_edit(
            profile=profile,
            actor=request.user,  # type: ignore[arg-type]
            summary=request.POST.get("summary", ""),
            notes=notes,
            exclusions=exclusions,
            principles=principles,
        )
    except (ValidationError, ApplicationError) as exc:
        return _refused(request, profile, exc)
    messages.success(request, _("Summary, notes and exclusions saved."))
    return redirect("aggregation:profile-review", profile_id=profile.pk)


@login_required
@require_POST
def profile_publish(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = selectors.profile_get_for_publisher(user=request.user, profile_id=profile_id)
    try:
        profile = services.profile_publish(profile=profile, actor=request.user)  # type: ignore[arg-type]
    except services.ProfileStale as exc:
        # The page shows what changed and offers the re-run (status 409, as the API).
        messages.error(request, exc.message)
        return _review_response(request, profile, status=409)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("aggregation:profile-review", profile_id=profile.pk)
    messages.success(request, _("Published as version %(version)s.") % {"version": profile.version})
    return redirect("aggregation:profile-review", profile_id=profile.pk)


@login_required
@require_POST
def profile_retract(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = selectors.profile_get_for_publisher(user=request.user, profile_id=profile_id)
    try:
        services.profile_retract(
            profile=profile,
            actor=request.user,  # type: ignore[arg-type]
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, ApplicationError) as exc:
        return _refused(request, profile, exc)
    messages.success(request, _("Version %(version)s retracted.") % {"version": profile.version})
    return redirect("aggregation:profile-review", profile_id=profile.pk)
