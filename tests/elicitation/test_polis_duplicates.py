"""A second upload of the same Pol.is conversation warns and asks before a second copy."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from communities.models import Community
from communities.roles import Role
from elicitation import polis
from elicitation.models import Space
from tests.elicitation.polis_files import good_files
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.requirements import polis_folder

pytestmark = pytest.mark.django_db


def facilitator_client(community: Community) -> Client:
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.FACILITATOR)
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, community: Community, **extra: str) -> object:
    files = good_files()
    return client.post(
        reverse("elicitation:polis_import", kwargs={"slug": community.slug}),
        {
            "comments": SimpleUploadedFile("comments.csv", files["comments"]),
            "votes": SimpleUploadedFile("votes.csv", files["votes"] or b""),
            **extra,
        },
    )


def test_a_second_upload_of_the_same_export_warns_and_creates_nothing_until_confirmed() -> None:
    community = CommunityFactory.create()
    client = facilitator_client(community)
    assert upload(client, community).status_code == 302  # type: ignore[attr-defined]
    first = Space.objects.get(community=community)

    again = upload(client, community)

    assert again.status_code == 400  # type: ignore[attr-defined]
    html = again.content.decode()  # type: ignore[attr-defined]
    assert f"already space {first.pk}" in html
    assert "Import a second copy anyway" in html
    assert Space.objects.filter(community=community).count() == 1

    confirmed = upload(client, community, second_copy="on")
    assert confirmed.status_code == 302  # type: ignore[attr-defined]
    assert Space.objects.filter(community=community).count() == 2


def test_the_checkbox_is_not_offered_before_a_duplicate_is_found() -> None:
    community = CommunityFactory.create()
    client = facilitator_client(community)
    page = client.get(reverse("elicitation:polis_import", kwargs={"slug": community.slug}))
    assert "Import a second copy anyway" not in page.content.decode()


def test_the_same_export_in_another_community_is_not_a_duplicate() -> None:
    first, second = CommunityFactory.create(), CommunityFactory.create()
    polis.space_import_polis(community=first, actor=None, **good_files())

    polis.space_import_polis(community=second, actor=None, **good_files())

    assert Space.objects.filter(community=second).count() == 1


def test_a_changed_comment_is_another_conversation() -> None:
    community = CommunityFactory.create()
    polis.space_import_polis(community=community, actor=None, **good_files())
    files = good_files()
    files["comments"] = files["comments"].replace(b"Rivers", b"Streams", 1)
    assert files["comments"] != good_files()["comments"]

    polis.space_import_polis(community=community, actor=None, **files)

    assert Space.objects.filter(community=community).count() == 2


def test_the_command_refuses_a_second_copy_unless_asked() -> None:
    community = CommunityFactory.create(slug="seattle")
    folder = str(polis_folder("15-per-hour-seattle"))
    call_command("import_polis", folder, "--community", "seattle", stdout=StringIO())

    with pytest.raises(CommandError, match=r"already space \d+ .*\(--second-copy\)"):
        call_command("import_polis", folder, "--community", "seattle", stdout=StringIO())
    assert Space.objects.filter(community=community).count() == 1

    call_command(
        "import_polis", folder, "--community", "seattle", "--second-copy", stdout=StringIO()
    )
    assert Space.objects.filter(community=community).count() == 2
