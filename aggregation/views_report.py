"""Pages that show the analysis: the public report and the facilitator dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from aggregation import report_selectors, selectors, sensemaking
from aggregation.report import build_report
from aggregation.results import StoredResult
from communities.roles import Action
from elicitation import moderation_bulk
from elicitation.identity import request_access


@dataclass(frozen=True)
class ReportSection:
    id: str
    title: str | Promise  # translated when rendered, in the reader's language
    template: str


# The report reads top to bottom in this order. A section is one partial under
# templates/aggregation/report/ reading `report`, `run`, `space` and `activity`;
# adding one is adding a line here.
REPORT_SECTIONS = [
    ReportSection("overview", _("Overview"), "aggregation/report/_overview.html"),
    ReportSection("summary", _("In short"), "aggregation/report/_summary.html"),
    ReportSection("map", _("The opinion map"), "aggregation/report/_map.html"),
    ReportSection(
        "consensus", _("What most people agree on"), "aggregation/report/_consensus.html"
    ),
    ReportSection("bridging", _("What bridges the groups"), "aggregation/report/_bridging.html"),
    ReportSection("divisive", _("What divides them"), "aggregation/report/_divisive.html"),
    ReportSection("groups", _("The opinion groups"), "aggregation/report/_groups.html"),
    ReportSection("topics", _("Topics"), "aggregation/report/_topics.html"),
    ReportSection("uncertain", _("Areas of uncertainty"), "aggregation/report/_uncertainty.html"),
    ReportSection("choices", _("What people would choose"), "aggregation/report/_choices.html"),
    ReportSection("activity", _("Participation over time"), "aggregation/report/_activity.html"),
]


@require_GET
def report_page(request: HttpRequest, space_id: int) -> HttpResponse:
    """The public report of the latest analysis, for whoever may see the space's results."""
    access = request_access(request, space_id, Action.VIEW_RESULTS)
    space = access.space
    run = report_selectors.latest_succeeded_run(space=space)
    context: dict[str, Any] = {
        "space": space,
        "access": access,
        "run": run,
        "report": None,
        "sections": REPORT_SECTIONS,
        "tab": "report",
    }
    if run is not None and isinstance(run.result, dict):
        stored = StoredResult.from_json(run.result)
        context["report"] = build_report(
            stored,
            texts=report_selectors.accepted_texts(space=space),
            counts=run.counts or {},
            run_id=run.pk,
        )
        context["activity"] = report_selectors.vote_activity(space=space)
        context["sense"] = sensemaking.report_view(
            stored,
            lambda n: reverse("elicitation:statement", kwargs={"space_id": space.pk, "number": n}),
        )
        context["published"] = selectors.profile_latest_published(space=space)
    return render(request, "aggregation/report.html", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def dashboard_page(request: HttpRequest, space_id: int) -> HttpResponse:
    """Facilitators' view of a space: participation, moderation, the latest run, the draft."""
    access = report_selectors.space_for_dashboard(user=request.user, space_id=space_id)
    space = access.space
    if request.htmx:  # type: ignore[attr-defined]
        # The glance refreshes itself every few seconds while the space is open.
        board = report_selectors.dashboard_glance(space=space)
        return render(
            request,
            "aggregation/dashboard.html#glance",
            {"space": space, "access": access, "board": board},
        )
    board = report_selectors.dashboard(space=space)
    context = {"space": space, "access": access, "board": board, "tab": "dashboard"}
    return render(request, "aggregation/dashboard.html", context)


@login_required
@require_POST
def dashboard_moderate(request: HttpRequest, space_id: int) -> HttpResponse:
    """Approve, reject or mark as meta the ticked pending statements, in one transaction."""
    space = report_selectors.space_for_dashboard(user=request.user, space_id=space_id).space
    selectors_ok = request.POST.getlist("statement")
    try:
        done = moderation_bulk.statements_moderate_bulk(
            space=space,
            actor=request.user,
            numbers=selectors_ok,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        listed = ", ".join(f"#{s.number}" for s in done)
        decided = {
            "approve": ngettext(
                "%(count)s statement approved: %(listed)s.",
                "%(count)s statements approved: %(listed)s.",
                len(done),
            ),
            "reject": ngettext(
                "%(count)s statement rejected: %(listed)s.",
                "%(count)s statements rejected: %(listed)s.",
                len(done),
            ),
            "meta": ngettext(
                "%(count)s statement approved as meta: %(listed)s.",
                "%(count)s statements approved as meta: %(listed)s.",
                len(done),
            ),
        }
        fallback = ngettext(
            "%(count)s statement moderated: %(listed)s.",
            "%(count)s statements moderated: %(listed)s.",
            len(done),
        )
        message = decided.get(request.POST.get("decision", ""), fallback)
        messages.success(request, message % {"count": len(done), "listed": listed})
    return redirect(reverse("aggregation:dashboard", kwargs={"space_id": space.pk}) + "#queue")
