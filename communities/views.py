from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from communities import selectors


@require_GET
def community_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = selectors.community_get_visible(user=request.user, slug=slug)
    membership = selectors.membership_for(user=request.user, community=community)
    spaces = community.spaces.exclude(phase="draft").order_by("-created_at")
    return render(
        request,
        "communities/detail.html",
        {"community": community, "membership": membership, "spaces": spaces},
    )
