from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from communities.models import Community, Membership
from communities.roles import Role
from notifications import services
from tests.factories import CommunityFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _tasks_in_this_process(
    monkeypatch: pytest.MonkeyPatch, settings: Any, request: pytest.FixtureRequest
) -> None:
    # Every task message is run here at once (Celery runs a retry at once too);
    # the e-mails land in Django's locmem outbox. Tests marked `worker` send
    # them to the session's real worker instead.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://polyphony.example.org"
    if request.node.get_closest_marker("worker") is None:
        monkeypatch.setattr(services, "enqueue", lambda task, *args: task.apply(args=args))


@dataclass
class People:
    community: Community
    owner: User
    facilitator: User
    member: User
    observer: User
    quiet: User  # switched every e-mail off
    banned: User
    outsider: User

    @property
    def reading_members(self) -> set[str]:
        """Addresses of the active members who kept the defaults."""
        return {u.email for u in (self.owner, self.facilitator, self.member, self.observer)}


@pytest.fixture
def people(db: None) -> People:
    community = CommunityFactory.create()

    def joined(role: Role, status: str = Membership.Status.ACTIVE) -> User:
        user = UserFactory.create()
        MembershipFactory.create(user=user, community=community, role=role, status=status)
        return user

    quiet = joined(Role.MEMBER)
    services.preferences_update(user=quiet, spaces=False, profiles=False, moderation=False)
    return People(
        community=community,
        owner=joined(Role.OWNER),
        facilitator=joined(Role.FACILITATOR),
        member=joined(Role.MEMBER),
        observer=joined(Role.OBSERVER),
        quiet=quiet,
        banned=joined(Role.MEMBER, Membership.Status.BANNED),
        outsider=UserFactory.create(),
    )


def outbox_to(address: str) -> list[mail.EmailMultiAlternatives]:
    return [m for m in mail.outbox if address in m.to]  # type: ignore[misc]


def recipients() -> list[str]:
    return sorted(address for m in mail.outbox for address in m.to)


def unsubscribe_path(message: Any) -> str:
    """The path of the message's List-Unsubscribe link (which the body repeats)."""
    url = re.fullmatch(r"<(.+)>", message.extra_headers["List-Unsubscribe"])
    assert url, message.extra_headers
    assert url.group(1) in message.body
    assert url.group(1).startswith("https://polyphony.example.org/unsubscribe/")
    return url.group(1).removeprefix("https://polyphony.example.org")


def html_of(message: Any) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return str(html)
