"""Numbers inside pictures stay machine-readable in every language.

German, French and Spanish write 12,5 where English writes 12.5. Django
localises every float a template prints, which is right in text and wrong in
an SVG coordinate or a CSS length: `width="12,5"` breaks the picture. The
picture templates switch localisation off ({% localize off %}); these tests
render the pages that draw with data in each language and look for a decimal
comma in any attribute that holds numbers.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from communities.roles import Role
from tests.aggregation.conftest import member_of, published
from tests.aggregation.data import Deliberation

pytestmark = pytest.mark.django_db

NUMERIC_ATTRIBUTES = (
    "x",
    "y",
    "x1",
    "x2",
    "y1",
    "y2",
    "cx",
    "cy",
    "r",
    "width",
    "height",
    "viewBox",
    "opacity",
    "fill-opacity",
    "aria-valuenow",
)
_ATTRIBUTE = re.compile(r"\s(" + "|".join(map(re.escape, NUMERIC_ATTRIBUTES)) + r')="([^"]*)"')
_DECIMAL_COMMA = re.compile(r"\d,\d")
# An SVG polygon's points are "x,y x,y ...": a pair per token, each a plain number.
_POINTS = re.compile(r'\spoints="([^"]*)"')
_POINT = re.compile(r"-?\d+(\.\d+)?,-?\d+(\.\d+)?")
# A CSS length with a decimal comma ("width: 12,5%").
_STYLE_LENGTH = re.compile(r'\sstyle="[^"]*\d,\d+(%|px|r?em)[^"]*"')


def _decimal_commas(html: str) -> list[str]:
    found = [
        f'{name}="{value}"'
        for name, value in _ATTRIBUTE.findall(html)
        if _DECIMAL_COMMA.search(value)
    ]
    found += [
        f'points="{points}"'
        for points in _POINTS.findall(html)
        if not all(_POINT.fullmatch(token) for token in points.split())
    ]
    found += [match.group(0).strip() for match in _STYLE_LENGTH.finditer(html)]
    return found


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_pictures_keep_their_numbers_in_every_language(
    deliberation: Deliberation, language: str
) -> None:
    space = deliberation.space
    published(space)
    facilitator = Client()
    facilitator.force_login(member_of(space, Role.FACILITATOR))
    pages = [f"/s/{space.pk}/report/", f"/s/{space.pk}/profile/", f"/s/{space.pk}/dashboard/"]
    drawn = 0
    for path in pages:
        response = facilitator.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, path
        assert response["Content-Language"] == language
        html = response.content.decode()
        drawn += html.count("<svg")
        assert not _decimal_commas(html), (path, _decimal_commas(html)[:5])
    assert drawn >= 3, "the pages drew no pictures: the test would prove nothing"


def test_the_check_finds_a_decimal_comma() -> None:
    assert _decimal_commas('<rect width="12,5" x="3">') == ['width="12,5"']
    assert _decimal_commas('<polygon points="1,5,2 3,4">') == ['points="1,5,2 3,4"']
    assert _decimal_commas('<span style="width: 12,5%">') == ['style="width: 12,5%"']
    ok = '<rect width="12.5"><polygon points="1.5,2 3,4"><title>1,234 votes</title>'
    assert _decimal_commas(ok) == []
