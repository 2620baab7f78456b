"""Facilitators' translations: the space's title, question and description, and its statements."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from communities.roles import Action
from config.api_errors import http_status
from config.exceptions import ApplicationError
from elicitation import selectors, services
from elicitation.languages import content_languages, language_name
from elicitation.models import SpaceTranslation, Statement
from elicitation.selectors import SpaceAccess
from elicitation.views.common import HtmxHttpRequest, _access, _errors

STATEMENTS_PER_PAGE = 50


def _chosen_language(access: SpaceAccess, requested: str) -> str | None:
    """The language asked for, if it is one a translation may be into; else the first such."""
    others = [code for code in content_languages() if code != access.space.language]
    if requested in others:
        return requested
    return others[0] if others else None


def _translations_url(space_id: int, language: str | None, show: str = "missing") -> str:
    query = urlencode({"lang": language or "", "show": show})
    return f"{reverse('elicitation:translations', kwargs={'space_id': space_id})}?{query}"


def _page_context(
    request: HtmxHttpRequest, access: SpaceAccess, language: str | None, **extra: Any
) -> dict[str, Any]:
    space = access.space
    show = "all" if request.GET.get("show", request.POST.get("show")) == "all" else "missing"
    context: dict[str, Any] = {
        "space": space,
        "access": access,
        "tab": "translations",
        "language": language,
        "language_label": language_name(language) if language else "",
        "original_label": language_name(space.language),
        "show": show,
        "progress": selectors.translation_progress(space=space),
        **extra,
    }
    if language is None:
        return context
    if "space_translation" not in context:
        context["space_translation"] = SpaceTranslation.objects.filter(
            space=space, language=language
        ).first()
    page = Paginator(
        selectors.statements_for_translation(
            space=space, language=language, missing_only=show == "missing"
        ),
        STATEMENTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    context["page"] = page
    return context


@login_required
@require_GET
def translations(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    access = _access(request, space_id, Action.MODERATE)
    language = _chosen_language(access, request.GET.get("lang", ""))
    return render(
        request, "elicitation/translations.html", _page_context(request, access, language)
    )


@login_required
@require_POST
def space_translation_save(request: HtmxHttpRequest, space_id: int) -> HttpResponseBase:
    """Save (or with `remove`, delete) the space's title, question and description in a language."""
    access = _access(request, space_id, Action.MODERATE)
    language = request.POST.get("language", "")
    try:
        if request.POST.get("remove"):
            services.space_translation_remove(access=access, actor=request.user, language=language)
            messages.success(
                request,
                _("The %(language)s translation of the space was removed.")
                % {"language": language_name(language)},
            )
        else:
            services.space_translation_set(
                access=access,
                actor=request.user,
                language=language,
                title=request.POST.get("title", ""),
                question=request.POST.get("question", ""),
                description=request.POST.get("description", ""),
            )
            messages.success(
                request,
                _("The %(language)s title and question are saved.")
                % {"language": language_name(language)},
            )
    except (ValidationError, ApplicationError) as exc:
        errors = _errors(exc) if isinstance(exc, ValidationError) else [exc.message]
        status = 400 if isinstance(exc, ValidationError) else http_status(exc)
        chosen = _chosen_language(access, language)
        draft = SpaceTranslation(
            space=access.space,
            language=language,
            title=request.POST.get("title", ""),
            question=request.POST.get("question", ""),
            description=request.POST.get("description", ""),
        )
        context = _page_context(
            request, access, chosen, space_errors=errors, space_translation=draft
        )
        return render(request, "elicitation/translations.html", context, status=status)
    return redirect(_translations_url(access.space.pk, language))


def _row_context(access: SpaceAccess, statement: Statement, language: str) -> dict[str, Any]:
    statement.language_translations = list(  # type: ignore[attr-defined]
        statement.translations.filter(language=language)
    )
    return {
        "space": access.space,
        "access": access,
        "s": statement,
        "language": language,
        "language_label": language_name(language),
    }


@login_required
@require_POST
@vary_on_headers("HX-Request")
def statement_translation_save(
    request: HtmxHttpRequest, space_id: int, number: int
) -> HttpResponseBase:
    """Save (or with `remove`, delete) statement `number`'s translation into a language.

    htmx swaps the statement's row; without JavaScript the page reloads.
    """
    access = _access(request, space_id, Action.MODERATE)
    statement = selectors.statement_get_visible(
        space=access.space, number=number, participant=None, moderator=True
    )
    language = request.POST.get("language", "")
    text = request.POST.get("text", "")
    error, status, message = "", 200, ""
    try:
        if request.POST.get("remove"):
            services.statement_translation_remove(
                access=access, actor=request.user, statement=statement, language=language
            )
            message = _("Translation of #%(number)d removed.") % {"number": number}
        else:
            _translation, created = services.statement_translation_set(
                access=access, actor=request.user, statement=statement, language=language, text=text
            )
            message = _("Translation of #%(number)d saved.") % {"number": number}
            status = 201 if created else 200
    except ValidationError as exc:
        error, status = "; ".join(_errors(exc)), 400
    except ApplicationError as exc:
        error, status = exc.message, http_status(exc)
    back = request.POST.get("next", "")
    if request.htmx or (error and not back):
        known = language if language in content_languages() else ""
        statement.row_error = error  # type: ignore[attr-defined]
        statement.row_text = text if error else None  # type: ignore[attr-defined]
        statement.row_message = message  # type: ignore[attr-defined]
    if request.htmx:
        context = _row_context(access, statement, known)
        return render(
            request, "elicitation/translations.html#statement-row", context, status=status
        )
    if error and not back:
        # Without JavaScript: the page again, the text kept and the error beside it.
        chosen = _chosen_language(access, known)
        context = _page_context(request, access, chosen)
        rows = list(context["page"]) if "page" in context else []
        for row in rows:
            if row.number == statement.number:
                row.row_error, row.row_text = error, text
        if not any(row.number == statement.number for row in rows):
            statement.language_translations = list(  # type: ignore[attr-defined]
                statement.translations.filter(language=chosen)
            )
            context["retry"] = statement
        return render(request, "elicitation/translations.html", context, status=status)
    if error:
        messages.error(request, f"#{number}: {error}")
    else:
        messages.success(request, message)
    if back.startswith(f"/s/{access.space.pk}/"):
        return redirect(back)
    return redirect(_translations_url(access.space.pk, language, request.POST.get("show", "")))
