"""Spaces opening, closing within 24 hours, and closed: by a facilitator or by the schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core import mail
from django.utils import timezone

from communities.models import AccountSettings
from elicitation.models import Space
from elicitation.services import space_set_phase
from notifications import services
from notifications.models import Kind, SentEmail
from tests.factories import SpaceFactory
from tests.notifications.conftest import People, html_of, outbox_to, recipients


def _open(space: Space, people: People, capture: Any) -> None:
    with capture(execute=True):
        space_set_phase(space=space, phase=Space.Phase.OPEN, actor=people.facilitator)


def test_opening_a_space_emails_each_member_who_wants_it_once(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    space = SpaceFactory.create(community=people.community, phase=Space.Phase.DRAFT)
    _open(space, people, django_capture_on_commit_callbacks)

    assert set(recipients()) == people.reading_members
    assert len(mail.outbox) == len(people.reading_members)  # nobody twice
    message = outbox_to(people.member.email)[0]
    assert message.subject == f"“{space.title}” is open: {people.community.name} wants your view"
    assert f"https://polyphony.example.org/s/{space.pk}/" in message.body
    assert space.question in html_of(message)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Content-Language"] == "en"
    row = SentEmail.objects.get(user=people.member)
    assert (row.kind, row.status, row.attempts) == (Kind.SPACE_OPENED, "sent", 1)
    assert row.subject == message.subject


def test_each_email_is_rendered_in_its_recipients_language(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    closes = datetime(timezone.now().year + 2, 12, 24, 18, tzinfo=UTC)
    space = SpaceFactory.create(
        community=people.community, phase=Space.Phase.DRAFT, closes_at=closes
    )
    AccountSettings.objects.create(user=people.member, language="de")
    AccountSettings.objects.create(user=people.observer, language="fr", time_zone="Europe/Paris")
    _open(space, people, django_capture_on_commit_callbacks)

    german = outbox_to(people.member.email)[0]
    french = outbox_to(people.observer.email)[0]
    english = outbox_to(people.owner.email)[0]
    assert german.extra_headers["Content-Language"] == "de"
    assert 'lang="de"' in html_of(german)
    # Django's own formats show the language each body was rendered in.
    assert "24. Dezember" in german.body
    assert "24 décembre" in french.body
    assert "19:00 (Europe/Paris)" in french.body  # and the account's time zone
    # English keeps the site's day-month-year, 24-hour style (config/formats/en).
    assert "24 December" in english.body
    assert "18:00 (UTC)" in english.body
    assert SentEmail.objects.get(user=people.member).language == "de"


def test_a_space_scheduled_to_open_later_is_announced_when_its_time_comes(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    opens = timezone.now() + timedelta(hours=2)
    space = SpaceFactory.create(community=people.community, phase=Space.Phase.DRAFT, opens_at=opens)
    _open(space, people, django_capture_on_commit_callbacks)
    assert mail.outbox == []  # open, but not yet taking input

    assert services.space_schedules_check(now=opens - timedelta(minutes=1))["opened"] == 0
    services.space_schedules_check(now=opens + timedelta(minutes=3))
    assert set(recipients()) == people.reading_members
    services.space_schedules_check(now=opens + timedelta(minutes=8))  # the beat again
    assert len(mail.outbox) == len(people.reading_members)


def test_a_space_opened_with_a_past_schedule_is_announced_once_not_again_by_the_beat(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    space = SpaceFactory.create(
        community=people.community,
        phase=Space.Phase.DRAFT,
        opens_at=timezone.now() - timedelta(minutes=30),
    )
    _open(space, people, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == len(people.reading_members)
    services.space_schedules_check()
    assert len(mail.outbox) == len(people.reading_members)


def test_members_are_reminded_a_day_before_the_scheduled_close_then_told_it_closed(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    closes = timezone.now() + timedelta(hours=30)
    space = SpaceFactory.create(community=people.community, closes_at=closes)

    assert services.space_schedules_check(now=closes - timedelta(hours=25))["closing"] == 0
    services.space_schedules_check(now=closes - timedelta(hours=23))
    services.space_schedules_check(now=closes - timedelta(hours=22))
    reminders = list(mail.outbox)
    assert {m.to[0] for m in reminders} == people.reading_members
    assert len(reminders) == len(people.reading_members)
    assert reminders[0].subject == f"“{space.title}” closes in less than 24 hours"

    mail.outbox.clear()
    services.space_schedules_check(now=closes + timedelta(minutes=2))
    services.space_schedules_check(now=closes + timedelta(minutes=7))
    assert set(recipients()) == people.reading_members
    assert len(mail.outbox) == len(people.reading_members)
    assert mail.outbox[0].subject == f"“{space.title}” has closed"

    # A facilitator closing the phase after the schedule did announces nothing new.
    mail.outbox.clear()
    Space.objects.filter(pk=space.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    space.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        space_set_phase(space=space, phase=Space.Phase.CLOSED, actor=people.facilitator)
    assert mail.outbox == []


def test_closing_a_space_by_hand_tells_its_members_once(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    space = SpaceFactory.create(community=people.community)
    with django_capture_on_commit_callbacks(execute=True):
        space_set_phase(space=space, phase=Space.Phase.CLOSED, actor=people.facilitator)
    assert set(recipients()) == people.reading_members
    assert mail.outbox[0].subject == f"“{space.title}” has closed"
    services.space_schedules_check()
    assert len(mail.outbox) == len(people.reading_members)


def test_a_space_reopened_is_announced_again(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    space = SpaceFactory.create(community=people.community, phase=Space.Phase.DRAFT)
    _open(space, people, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        space_set_phase(space=space, phase=Space.Phase.CLOSED, actor=people.facilitator)
    _open(space, people, django_capture_on_commit_callbacks)
    opened = [m for m in outbox_to(people.member.email) if "is open" in m.subject]
    assert len(opened) == 2


def test_a_rolled_back_opening_announces_nothing(people: People) -> None:
    space = SpaceFactory.create(community=people.community, phase=Space.Phase.DRAFT)
    # Without the commit (the test's transaction is never committed) nothing is sent.
    space_set_phase(space=space, phase=Space.Phase.OPEN, actor=people.facilitator)
    assert mail.outbox == []
    assert not SentEmail.objects.exists()
