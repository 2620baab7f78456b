"""Every page of a space renders in the other languages, and the machine formats do not move.

The strings of the elicitation and aggregation templates go through
{% translate %} / {% blocktranslate %}: a placeholder a template forgets to
pass, or a plural without its count, fails only when a translation is looked
up, so each page is rendered with the languages active. The JSON and CSV of a
value profile are data for programs and must be the same bytes in every
language; only the Markdown's headings follow the reader's language.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from aggregation import exports, profiles, selectors
from aggregation.models import ValueProfile
from communities.roles import Role
from tests.aggregation.conftest import member_of, published
from tests.aggregation.data import Deliberation

pytestmark = pytest.mark.django_db

LANGUAGES = ("de", "fr", "es")


def _pages(deliberation: Deliberation, profile: ValueProfile) -> list[str]:
    space = deliberation.space.pk
    return [
        reverse("elicitation:space", args=[space]),
        reverse("elicitation:statement", args=[space, 1]),
        reverse("elicitation:statements", args=[space]),
        reverse("elicitation:pairwise", args=[space]),
        reverse("elicitation:ranking", args=[space]),
        reverse("elicitation:stand", args=[space]),
        reverse("elicitation:decisions", args=[space]),
        reverse("elicitation:moderation", args=[space]),
        reverse("elicitation:space_edit", args=[space]),
        reverse("elicitation:community_spaces", args=[deliberation.space.community.slug]),
        reverse("elicitation:polis_import", args=[deliberation.space.community.slug]),
        reverse("aggregation:report", args=[space]),
        reverse("aggregation:dashboard", args=[space]),
        reverse("aggregation:space-analysis", args=[space]),
        reverse("aggregation:profile", args=[space]),
        reverse("aggregation:profile-review", args=[profile.pk]),
        reverse("aggregation:run", args=[profile.run_id]),
        reverse("aggregation:profile-compare") + f"?a={space}:1&b={space}:1",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_of_a_space_renders_with_the_language_active(
    deliberation: Deliberation, language: str
) -> None:
    facilitator = member_of(deliberation.space, Role.FACILITATOR)
    profile = published(deliberation.space, by=facilitator)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(facilitator)
    for url in _pages(deliberation, profile):
        with translation.override(language):
            response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])


def test_the_json_and_csv_of_a_profile_are_the_same_bytes_in_every_language(
    deliberation: Deliberation,
) -> None:
    published(deliberation.space)
    url = reverse(
        "aggregation-api:profile-version", kwargs={"space_id": deliberation.space.pk, "version": 1}
    )
    client = Client()
    for fmt in ("json", "csv", "constitution", "eval"):
        english = client.get(url, {"format": fmt})
        assert english.status_code == 200
        for language in LANGUAGES:
            with translation.override(language):
                other = client.get(url, {"format": fmt}, HTTP_ACCEPT_LANGUAGE=language)
            assert other.content == english.content, (fmt, language)
            assert other["ETag"] == english["ETag"], (fmt, language)


def test_the_markdown_keeps_its_english_etag_and_another_language_gets_its_own(
    deliberation: Deliberation,
) -> None:
    profile = published(deliberation.space)
    url = reverse(
        "aggregation-api:profile-version", kwargs={"space_id": deliberation.space.pk, "version": 1}
    )
    english = Client().get(url, {"format": "md"})
    assert english.status_code == 200
    # The English tag is the one clients stored before the Markdown could change language.
    content = selectors.profile_content(profile=profile)
    assert english["ETag"] == profiles.etag(content, exports.etag_format("md"))
    assert english.content.decode().startswith("# ")
    assert "## Values" in english.content.decode()
    with translation.override("de"):
        german = Client().get(url, {"format": "md"}, HTTP_ACCEPT_LANGUAGE="de")
    assert german.status_code == 200
    assert german["ETag"] != english["ETag"]
