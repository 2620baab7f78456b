"""Profiles published, the moderation digest, invitations, and sending at most once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.utils import timezone

from aggregation.models import ValueProfile
from communities.models import Invitation
from communities.roles import Role
from elicitation.models import ModerationStatus, Space
from notifications import services, tasks
from notifications.models import EmailOptOut, Kind, SentEmail
from tests.aggregation.conftest import published
from tests.aggregation.data import populate
from tests.factories import SpaceFactory, StatementFactory, UserFactory
from tests.notifications.conftest import People, html_of, outbox_to, recipients, unsubscribe_path


def test_a_published_profile_is_emailed_to_the_members_who_want_it(
    people: People, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webhooks import services as webhooks
    from webhooks.models import WebhookDelivery

    monkeypatch.setattr(webhooks, "_enqueue", lambda delivery_id: None)
    webhooks.webhook_endpoint_create(
        community=people.community,
        actor=people.owner,
        url="https://hooks.example.org/polyphony",
        events=["profile.published"],
    )
    deliberation = populate(SpaceFactory.create(community=people.community))
    space = deliberation.space
    voters = {u.email for u in deliberation.users}  # members who took part
    with django_capture_on_commit_callbacks(execute=True):
        profile = published(space, by=people.facilitator)
    assert set(recipients()) == people.reading_members | voters
    assert len(mail.outbox) == len(people.reading_members | voters)
    message = outbox_to(people.observer.email)[0]
    assert message.subject == (
        f"{people.community.name} published version {profile.version} of its value profile"
    )
    link = f"https://polyphony.example.org/s/{space.pk}/profile/v{profile.version}/"
    assert link in message.body
    assert link in html_of(message)
    assert SentEmail.objects.filter(kind=Kind.PROFILE_PUBLISHED, status="sent").count() == len(
        mail.outbox
    )
    # The webhooks hear of it from the same announcement.
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.payload["data"]["version"]) == ("profile.published", 1)


def test_a_profile_retracted_before_its_emails_went_out_is_not_announced(
    people: People, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = populate(SpaceFactory.create(community=people.community)).space
    queue: list[tuple[Any, tuple[Any, ...]]] = []
    monkeypatch.setattr(services, "enqueue", lambda task, *args: queue.append((task, args)))
    with django_capture_on_commit_callbacks(execute=True):
        profile = published(space, by=people.facilitator)
    fan_out, args = queue.pop(0)
    fan_out.apply(args=args)  # the rows are planned...
    assert len(queue) == SentEmail.objects.count() > len(people.reading_members)
    ValueProfile.objects.filter(pk=profile.pk).update(status=ValueProfile.Status.RETRACTED)
    for task, args in queue:  # ...and the profile is retracted before they go out
        task.apply(args=args)
    assert mail.outbox == []
    assert set(SentEmail.objects.values_list("status", flat=True)) == {SentEmail.Status.SKIPPED}


def _pending_statement(people: People) -> Space:
    space = SpaceFactory.create(community=people.community, moderation=Space.Moderation.PRE)
    StatementFactory.create(space=space, status=ModerationStatus.PENDING)
    StatementFactory.create(space=space, status=ModerationStatus.PENDING)
    StatementFactory.create(space=space, status=ModerationStatus.ACCEPTED)
    return space


def test_facilitators_get_one_moderation_digest_a_day_while_something_waits(
    people: People,
) -> None:
    today = timezone.now().date()
    assert services.notify_moderation_digests(day=today) == []  # nothing waits

    space = _pending_statement(people)
    tasks.send_moderation_digests.apply()
    services.notify_moderation_digests(day=today)  # the beat again, same day
    assert set(recipients()) == {people.owner.email, people.facilitator.email}
    message = outbox_to(people.facilitator.email)[0]
    assert message.subject == "2 items wait for moderation"
    assert f"https://polyphony.example.org/s/{space.pk}/moderation/" in message.body
    assert "2 statements, 0 arguments, 0 open flags" in " ".join(message.body.split())

    services.notify_moderation_digests(day=today + timedelta(days=1))
    assert len(mail.outbox) == 4  # the next day, again


def test_a_digest_planned_when_the_queue_was_cleared_is_skipped(people: People) -> None:
    space = _pending_statement(people)
    sent_later: list[int] = []
    ids = services._fan_out(
        kind=Kind.MODERATION_DIGEST,
        target="digest",
        occurrence=date(2030, 1, 1).isoformat(),
        recipients=services._accounts_wanting([people.owner], services.Topic.MODERATION),
    )
    sent_later.extend(ids)
    space.statements.update(status=ModerationStatus.ACCEPTED)
    assert services.email_send(email_id=sent_later[0])
    assert mail.outbox == []
    assert SentEmail.objects.get(pk=sent_later[0]).status == SentEmail.Status.SKIPPED


def test_an_invitation_is_emailed_from_the_invite_form(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(people.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/c/{people.community.slug}/invitations/",
            {"role": Role.MEMBER, "expires_in_days": "7", "email": "Newcomer@Example.org"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(community=people.community)
    (message,) = mail.outbox
    assert message.to == ["newcomer@example.org"]
    assert message.subject == f"You are invited to join {people.community.name} on Polyphony"
    assert f"https://polyphony.example.org/invite/{invitation.token}/" in message.body
    assert people.facilitator.username in html_of(message)
    assert "invited this address" in message.body
    # The facilitator hears that it went.
    page = client.get(f"/c/{people.community.slug}/members/")
    assert b"e-mailed to Newcomer@Example.org" in page.content


def test_an_invitation_is_written_in_the_inviters_language(people: People) -> None:
    from django.db import transaction

    with transaction.atomic():
        invitation = Invitation.objects.create(
            community=people.community,
            created_by=people.owner,
            expires_at=timezone.now().replace(month=3, day=15) + timedelta(days=366),
        )
        services.notify_invitation(invitation=invitation, email="ami@example.org", language="fr")
    row = SentEmail.objects.get(kind=Kind.INVITATION)
    assert row.language == "fr"
    services.email_send(email_id=row.pk)
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "fr"
    assert "mars" in message.body  # the expiry date, in French


def test_an_address_can_refuse_invitations_without_an_account(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(people.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/c/{people.community.slug}/invitations/",
            {"role": Role.MEMBER, "email": "no-thanks@example.org"},
        )
    path = unsubscribe_path(mail.outbox[0])
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert b"no-thanks@example.org" in page.content
    assert not EmailOptOut.objects.exists()  # a GET (a link scanner) changes nothing
    assert anonymous.post(path).status_code == 200
    assert EmailOptOut.objects.filter(email="no-thanks@example.org").exists()

    response = client.post(
        f"/c/{people.community.slug}/invitations/",
        {"role": Role.MEMBER, "email": "No-Thanks@example.org"},
    )
    assert response.status_code == 400
    assert b"asked not to receive invitations" in response.content
    assert Invitation.objects.filter(community=people.community).count() == 1
    assert len(mail.outbox) == 1


def test_a_community_sends_a_bounded_number_of_invitation_emails_a_day(
    people: People, settings: Any
) -> None:
    settings.INVITATION_EMAILS_PER_DAY = 2
    client = Client()
    client.force_login(people.owner)
    for n in range(2):
        response = client.post(
            f"/c/{people.community.slug}/invitations/",
            {"role": Role.MEMBER, "email": f"person{n}@example.org"},
        )
        assert response.status_code == 302
    response = client.post(
        f"/c/{people.community.slug}/invitations/",
        {"role": Role.MEMBER, "email": "person3@example.org"},
    )
    assert response.status_code == 400
    assert b"the most it may" in response.content
    assert Invitation.objects.filter(community=people.community).count() == 2
    # Without an e-mail the link is still made: only the sending is bounded.
    response = client.post(f"/c/{people.community.slug}/invitations/", {"role": Role.MEMBER})
    assert response.status_code == 302


def test_the_unsubscribe_link_works_without_logging_in_and_is_respected(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    space = SpaceFactory.create(community=people.community, phase=Space.Phase.DRAFT)
    from elicitation.services import space_set_phase

    with django_capture_on_commit_callbacks(execute=True):
        space_set_phase(space=space, phase=Space.Phase.OPEN, actor=people.owner)
    path = unsubscribe_path(outbox_to(people.member.email)[0])

    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert b"Stop these e-mails?" in page.content
    assert services.preferences_get(user=people.member).spaces  # GET changed nothing
    # A mail client's one-click unsubscribe (RFC 8058): a POST without a CSRF token.
    done = anonymous.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    preference = services.preferences_get(user=people.member)
    assert (preference.spaces, preference.profiles) == (False, True)  # that topic only

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        space_set_phase(space=space, phase=Space.Phase.CLOSED, actor=people.owner)
    assert people.member.email not in recipients()
    assert people.owner.email in recipients()
    assert anonymous.get(path).status_code == 200  # the link keeps working: "already off"


@pytest.mark.parametrize(
    "token",
    ["garbage", "eyJ0Ijoic3BhY2VzIiwidSI6NH0:1xYEJ9:forged-signature", "a" * 300],
)
def test_a_bad_unsubscribe_link_gets_a_clear_page_not_an_error(db: None, token: str) -> None:
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/unsubscribe/{token}/")
        assert response.status_code == 400
        assert b"This unsubscribe link is not valid" in response.content
        assert b"account page" in response.content


def test_a_link_for_a_deleted_account_says_so(db: None) -> None:
    user = UserFactory.create()
    token = services.unsubscribe_token(topic="spaces", user=user)
    user.delete()
    response = Client().post(f"/unsubscribe/{token}/")
    assert response.status_code == 404
    assert b"no longer exists" in response.content


def test_a_token_signed_for_something_else_is_refused(db: None) -> None:
    from django.core import signing

    user = UserFactory.create()
    other = signing.dumps({"t": "spaces", "u": user.pk}, salt="another.purpose")
    assert Client().post(f"/unsubscribe/{other}/").status_code == 400
    unknown_topic = signing.dumps({"t": "everything", "u": user.pk}, salt=services.UNSUBSCRIBE_SALT)
    assert Client().post(f"/unsubscribe/{unknown_topic}/").status_code == 400
    assert services.preferences_get(user=user).spaces


def test_preferences_are_saved_from_the_account_page(people: People) -> None:
    client = Client()
    client.force_login(people.member)
    page = client.get("/accounts/")
    assert page.status_code == 200
    assert b'id="notifications-title"' in page.content
    assert page.content.count(b'type="checkbox" name=') == 3
    response = client.post("/accounts/notifications/", {"profiles": "on"})
    assert response.status_code == 302
    preference = services.preferences_get(user=people.member)
    assert (preference.spaces, preference.profiles, preference.moderation) == (False, True, False)
    page = client.get("/accounts/")
    assert b'name="profiles" id="id_profiles" checked' in page.content
    assert b'name="spaces" id="id_spaces" checked' not in page.content
    assert Client().post("/accounts/notifications/", {}).status_code == 302  # to the log-in
    assert services.preferences_get(user=people.member).profiles


# --- At most once ------------------------------------------------------------


def _one_pending(people: People) -> SentEmail:
    space = SpaceFactory.create(community=people.community)
    (email_id,) = services._fan_out(
        kind=Kind.SPACE_CLOSED,
        target=f"space:{space.pk}",
        occurrence="phase:1",
        recipients=services._accounts_wanting([people.member], services.Topic.SPACES),
    )
    return SentEmail.objects.get(pk=email_id)


def test_a_task_run_twice_sends_once(people: People) -> None:
    row = _one_pending(people)
    tasks.deliver_email.apply(args=(row.pk,))
    tasks.deliver_email.apply(args=(row.pk,))
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (SentEmail.Status.SENT, 1)


def test_a_fan_out_run_twice_makes_no_second_row(people: People) -> None:
    row = _one_pending(people)
    again = services._fan_out(
        kind=Kind.SPACE_CLOSED,
        target=row.target,
        occurrence="phase:1",
        recipients=services._accounts_wanting([people.member], services.Topic.SPACES),
    )
    assert again == [row.pk]  # still pending: handed back, not duplicated
    services.email_send(email_id=row.pk)
    assert (
        services._fan_out(
            kind=Kind.SPACE_CLOSED,
            target=row.target,
            occurrence="phase:1",
            recipients=services._accounts_wanting([people.member], services.Topic.SPACES),
        )
        == []
    )
    assert SentEmail.objects.count() == 1


def test_a_task_retried_after_the_mail_went_out_does_not_send_it_again(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _one_pending(people)

    def worker_dies(**kwargs: Any) -> None:
        raise SystemExit("the worker was killed between sending and recording")

    monkeypatch.setattr(services, "_email_mark_sent", worker_dies)
    with pytest.raises(SystemExit):
        services.email_send(email_id=row.pk)
    assert len(mail.outbox) == 1
    monkeypatch.undo()
    tasks.deliver_email.apply(args=(row.pk,))  # the broker re-delivers the message
    services.emails_sweep(older_than=timedelta(0))
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == SentEmail.Status.SENDING  # at most once: never sent again


class FlakyBackend(EmailBackend):
    """The mail server refuses the first message, then accepts."""

    refusals = 1

    def send_messages(self, messages: Any) -> int:
        if FlakyBackend.refusals:
            FlakyBackend.refusals -= 1
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


def test_a_refused_email_is_retried_and_sent_once(people: People, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.refusals = 1
    row = _one_pending(people)
    tasks.deliver_email.apply(args=(row.pk,))  # eager: Celery runs the retry at once
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == (SentEmail.Status.SENT, 2, "")


def test_an_email_is_given_up_after_its_retries(people: People, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.refusals = 100
    row = _one_pending(people)
    tasks.deliver_email.apply(args=(row.pk,))
    row.refresh_from_db()
    assert (row.status, row.attempts) == (SentEmail.Status.FAILED, tasks.MAX_RETRIES + 1)
    assert "mail server down" in row.error
    assert mail.outbox == []
    assert [tasks.backoff_s(n) for n in range(5)] == [60, 120, 240, 480, 960]


def test_an_email_whose_task_was_lost_is_sent_by_the_sweep(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _one_pending(people)
    SentEmail.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(hours=1))
    tasks.sweep_emails.apply()
    assert len(mail.outbox) == 1


def test_an_unsubscribe_between_planning_and_sending_wins(people: People) -> None:
    row = _one_pending(people)
    services.preferences_update(user=people.member, spaces=False)
    services.email_send(email_id=row.pk)
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.status == SentEmail.Status.SKIPPED


def test_accounts_read_in_the_sites_language_until_they_choose_one(db: None) -> None:
    user = UserFactory.create()
    assert services.languages_of([user.pk]) == {user.pk: "en"}
