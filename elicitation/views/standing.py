"""Where you stand: a participant's place among the opinion groups."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from aggregation.report_selectors import standing_picture
from elicitation import selectors
from elicitation.languages import active_content_language
from elicitation.views.common import HtmxHttpRequest, _access


@require_GET
def where_you_stand(request: HtmxHttpRequest, space_id: int) -> HttpResponse:
    access = _access(request, space_id)
    space, participant = access.space, access.participant
    language = active_content_language()
    picture = standing_picture(space=space, participant=participant)
    return render(
        request,
        "elicitation/stand.html",
        {
            "space": space,
            "participant": participant,
            "standing": selectors.where_you_stand(
                space=space, participant=participant, language=language
            ),
            "picture": picture,
            "shown_texts": selectors.statement_texts_shown(
                space=space,
                numbers=[s.number for s in picture.differences] if picture else [],
                language=language,
            ),
            "tab": "stand",
            "access": access,
        },
    )
