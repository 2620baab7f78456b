"""Segment questions (facilitators) and a member's own answers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from communities import selectors, services
from communities.forms import SegmentAnswersForm, SegmentQuestionForm
from communities.roles import Action
from communities.views.common import _problem
from communities.views.communities import _add_errors
from config.exceptions import ApplicationError


@login_required
@require_http_methods(["GET", "POST"])
def segments(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners and facilitators define the questions; they never see anyone's answers."""
    try:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_SEGMENTS
        )
    except PermissionDenied as error:
        return _problem(request, error, back=reverse("communities:detail", args=[slug]))
    form = SegmentQuestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.segment_question_create(
                    community=community,
                    label=form.cleaned_data["label"],
                    choices=form.choice_list(),
                )
            except (ValidationError, ApplicationError) as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Question added."))
                return redirect("communities:segments", slug=community.slug)
        status = 400
    questions = selectors.segment_questions(community=community)
    return render(
        request,
        "communities/segments.html",
        {
            "community": community,
            "form": form,
            "questions": [(q, selectors.segment_cells(community, q)) for q in questions],
        },
        status=status,
    )


@login_required
@require_POST
def segment_delete(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    try:
        community, _membership = selectors.community_get_for_action(
            user=request.user, slug=slug, action=Action.MANAGE_SEGMENTS
        )
        services.segment_question_delete(community=community, question_id=question_id)
    except (PermissionDenied, ApplicationError) as error:
        return _problem(request, error, back=reverse("communities:detail", args=[slug]))
    messages.success(request, _("Question deleted, with all its answers."))
    return redirect("communities:segments", slug=community.slug)


@login_required
@require_http_methods(["GET", "POST"])
def segment_answers(request: HttpRequest, slug: str) -> HttpResponse:
    """A member's own answers: visible and changeable only by that member."""
    community = selectors.community_get_visible(user=request.user, slug=slug)
    if selectors.membership_for(user=request.user, community=community) is None:
        return _problem(
            request,
            PermissionDenied(
                _("Only members of %(community)s answer its questions.")
                % {"community": community.name}
            ),
            back=community.get_absolute_url(),
        )
    questions = selectors.segment_questions(community=community)
    current = selectors.segment_answers_of(user=request.user, community=community)
    form = SegmentAnswersForm(request.POST or None, questions=questions, initial_answers=current)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.segment_answers_set(
                    user=request.user, community=community, answers=form.answers()
                )
            except (ValidationError, ApplicationError) as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Your answers are saved. Only you can see them."))
                return redirect(community)
        status = 400
    return render(
        request,
        "communities/answers.html",
        {"community": community, "form": form, "questions": questions},
        status=status,
    )
