"""Arguments and statements refuse right-to-left overrides and text with nothing visible."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from communities.roles import Role
from elicitation import services
from elicitation.models import Argument, Participant, Space, Statement
from tests.factories import MembershipFactory, SpaceFactory, StatementFactory, UserFactory

pytestmark = pytest.mark.django_db

ZERO_WIDTH_ONLY = "\u200b\u200c\u200d\u2060\ufeff" * 4
RTL_OVERRIDE = "Fair rules for \u202eeveryone matter most"


@pytest.fixture
def participant_and_statement() -> tuple[Participant, Statement]:
    space = SpaceFactory.create(participation=Space.Participation.MEMBERS)
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=space.community, role=Role.MEMBER)
    statement = StatementFactory.create(space=space, number=100)
    participant, _ = services.participant_get_or_create(space=space, user=user)
    return participant, statement


@pytest.mark.parametrize("text", [ZERO_WIDTH_ONLY, RTL_OVERRIDE, "ok \u2066isolated\u2069 text"])
def test_arguments_refuse_invisible_and_direction_spoofing_text(
    participant_and_statement: tuple[Participant, Statement], text: str
) -> None:
    participant, statement = participant_and_statement
    with pytest.raises(ValidationError) as refused:
        services.argument_post(
            statement=statement, participant=participant, stance="for", text=text
        )
    assert "text" in refused.value.message_dict
    assert not Argument.objects.exists()


@pytest.mark.parametrize("text", [ZERO_WIDTH_ONLY, RTL_OVERRIDE])
def test_statements_refuse_them_too(
    participant_and_statement: tuple[Participant, Statement], text: str
) -> None:
    participant, statement = participant_and_statement
    with pytest.raises(ValidationError) as refused:
        services.statement_propose(space=statement.space, participant=participant, text=text)
    assert "text" in refused.value.message_dict


def test_ordinary_right_to_left_text_is_welcome(
    participant_and_statement: tuple[Participant, Statement],
) -> None:
    participant, statement = participant_and_statement
    argument, _ = services.argument_post(
        statement=statement, participant=participant, stance="for", text="המים שייכים לכולם"
    )
    assert argument.text == "המים שייכים לכולם"
