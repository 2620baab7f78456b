"""factory-boy factories for the domain models."""

from __future__ import annotations

import factory
from django.contrib.auth.models import User

from communities.models import Community, Invitation, Membership, SegmentQuestion
from communities.roles import Role
from elicitation.models import ModerationStatus, Participant, Space, Statement


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class CommunityFactory(factory.django.DjangoModelFactory[Community]):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"Community {n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    visibility = Community.Visibility.PUBLIC


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    role = Role.MEMBER


class SpaceFactory(factory.django.DjangoModelFactory[Space]):
    class Meta:
        model = Space

    community = factory.SubFactory(CommunityFactory)
    title = factory.Sequence(lambda n: f"Space {n}")
    slug = factory.Sequence(lambda n: f"space-{n}")
    question = "What should we value?"
    phase = Space.Phase.OPEN


class ParticipantFactory(factory.django.DjangoModelFactory[Participant]):
    class Meta:
        model = Participant

    space = factory.SubFactory(SpaceFactory)
    number = factory.Sequence(lambda n: n)
    anon_token = factory.Sequence(lambda n: f"anon-{n}")


class StatementFactory(factory.django.DjangoModelFactory[Statement]):
    class Meta:
        model = Statement

    space = factory.SubFactory(SpaceFactory)
    number = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Statement number {n} about what matters")
    normalized_text = factory.LazyAttribute(lambda s: s.text.lower())
    status = ModerationStatus.ACCEPTED


# --- communities (appended by the communities branch) ---------------------------


class InvitationFactory(factory.django.DjangoModelFactory[Invitation]):
    class Meta:
        model = Invitation

    community = factory.SubFactory(CommunityFactory)
    role = Role.MEMBER


class SegmentQuestionFactory(factory.django.DjangoModelFactory[SegmentQuestion]):
    class Meta:
        model = SegmentQuestion

    community = factory.SubFactory(CommunityFactory)
    label = factory.Sequence(lambda n: f"Question {n}")
    choices = factory.LazyFunction(lambda: ["North", "South", "East", "West"])
