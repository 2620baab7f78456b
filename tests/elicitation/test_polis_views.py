"""Pol.is upload form, zip download and zip API, over HTTP."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from aggregation.models import AnalysisRun
from communities.models import Community, Membership
from communities.roles import Role
from elicitation import polis
from elicitation.models import ModerationAction, PolisImport, Space, Statement, Vote, VoteEvent
from elicitation.polis import jobs
from tests.elicitation.polis_files import (
    comments_rows,
    csv_bytes,
    good_files,
    read_folder,
    votes_rows,
)
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.requirements import polis_folder

pytestmark = pytest.mark.django_db


def _member(role: Role, community: Community | None = None) -> tuple[Client, Community]:
    community = community or CommunityFactory.create()
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=community, role=role)
    client = Client()
    client.force_login(user)
    return client, community


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _import_url(community: Community) -> str:
    return reverse("elicitation:polis_import", kwargs={"slug": community.slug})


def test_a_facilitator_sees_a_labelled_upload_form() -> None:
    client, community = _member(Role.FACILITATOR)
    response = client.get(_import_url(community))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    for field in ("comments", "votes", "participants_votes", "summary", "title"):
        assert f'for="id_{field}"' in html
    assert "participants-votes.csv" in html


def _job_of(response: Any) -> PolisImport:
    """The job a successful upload created; the response sends the browser to its page."""
    job = PolisImport.objects.latest("id")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == job.get_absolute_url()
    return job


def _run(job: PolisImport) -> PolisImport:
    """What the worker does with the job, here in the test's process."""
    assert jobs.polis_import_execute(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_a_facilitator_imports_an_uploaded_export_into_a_new_draft_space() -> None:
    client, community = _member(Role.FACILITATOR)
    files = good_files()
    response = client.post(
        _import_url(community),
        {
            "title": "From Pol.is",
            "comments": _upload("comments.csv", files["comments"]),
            "votes": _upload("votes.csv", files["votes"] or b""),
        },
    )
    job = _job_of(response)
    # The web request only stored the files; nothing is imported yet.
    assert job.status == PolisImport.Status.QUEUED
    assert not Space.objects.filter(community=community).exists()
    stored = jobs.upload_folder(job.pk)
    assert sorted(p.name for p in stored.iterdir()) == ["comments.csv", "votes.csv"]
    assert (stored / "votes.csv").read_bytes() == files["votes"]
    assert job.files == {"comments": len(files["comments"]), "votes": len(files["votes"] or b"")}

    job = _run(job)

    assert job.status == PolisImport.Status.DONE
    space = Space.objects.get(community=community)
    assert job.space == space
    assert space.title == "From Pol.is"
    assert space.phase == Space.Phase.DRAFT
    assert Statement.objects.filter(space=space).count() == 3
    assert Vote.objects.filter(statement__space=space).count() == 4
    assert VoteEvent.objects.filter(statement__space=space).count() == 5
    decision = ModerationAction.objects.get(space=space)
    assert decision.action == ModerationAction.Action.IMPORT
    assert decision.actor_role == Role.FACILITATOR
    assert not stored.exists(), "the job's files are removed once it is done"
    page = client.get(job.get_absolute_url()).content.decode()
    assert f'href="{space.get_absolute_url()}"' in page
    assert "hx-trigger" not in page  # finished: the page no longer polls


def test_the_upload_imports_a_real_conversation_from_participants_votes_csv() -> None:
    client, community = _member(Role.OWNER)
    source = read_folder(polis_folder("brexit-consensus"))
    response = client.post(
        _import_url(community),
        {
            "comments": _upload("comments.csv", source["comments"]),
            "participants_votes": _upload(
                "participants-votes.csv", source["participants_votes"] or b""
            ),
            "summary": _upload("summary.csv", source["summary"] or b""),
        },
    )
    assert _run(_job_of(response)).status == PolisImport.Status.DONE
    space = Space.objects.get(community=community)
    assert space.title == "Can there be consensus on Brexit?"
    assert Vote.objects.filter(statement__space=space).count() == 5303


def test_a_malformed_upload_fails_the_job_with_file_line_and_column_and_saves_nothing() -> None:
    client, community = _member(Role.FACILITATOR)
    rows = votes_rows()
    rows[3][4] = "7"
    response = client.post(
        _import_url(community),
        {
            "comments": _upload("comments.csv", csv_bytes(comments_rows())),
            "votes": _upload("votes.csv", csv_bytes(rows)),
        },
    )
    job = _run(_job_of(response))
    assert job.status == PolisImport.Status.FAILED
    assert job.error == (
        "votes.csv, line 4, column 5 (vote): vote '7' is not 1 (agree), -1 (disagree) or 0 (pass)"
    )
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'role="alert"' in html
    assert "Nothing was imported." in html
    assert "votes.csv, line 4, column 5 (vote): vote &#x27;7&#x27; is not 1" in html
    assert not Space.objects.filter(community=community).exists()
    assert not Statement.objects.exists()
    assert not jobs.upload_folder(job.pk).exists()


def test_a_nul_character_in_an_uploaded_file_fails_the_job_naming_file_line_and_column() -> None:
    client, community = _member(Role.FACILITATOR)
    rows = comments_rows()
    rows[2][9] = "Buy my\x00 product!"
    response = client.post(
        _import_url(community),
        {
            "comments": _upload("comments.csv", csv_bytes(rows)),
            "votes": _upload("votes.csv", csv_bytes(votes_rows())),
        },
    )
    job = _run(_job_of(response))
    assert job.status == PolisImport.Status.FAILED
    assert job.error.startswith(
        "comments.csv, line 3, column 10 (comment-body): a NUL character (byte 0x00)"
    )
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    assert "comments.csv, line 3, column 10" in page.content.decode()
    assert not Space.objects.exists()


def test_an_upload_without_any_votes_file_is_refused() -> None:
    client, community = _member(Role.FACILITATOR)
    response = client.post(
        _import_url(community),
        {"comments": _upload("comments.csv", csv_bytes(comments_rows()))},
    )
    assert response.status_code == 400
    assert "Upload votes.csv or participants-votes.csv" in response.content.decode()
    assert not PolisImport.objects.exists()


def test_htmx_gets_the_form_partial_with_errors_and_a_client_redirect_on_success() -> None:
    client, community = _member(Role.FACILITATOR)
    bad = client.post(
        _import_url(community),
        {"comments": _upload("comments.csv", b"comment-id\n1\n")},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 400  # base.html's htmx configuration swaps 4xx in place
    html = bad.content.decode()
    assert html.lstrip().startswith("<form")
    assert "<html" not in html
    assert "Upload votes.csv or participants-votes.csv" in html
    assert "HX-Request" in bad["Vary"]

    files = good_files()
    good = client.post(
        _import_url(community),
        {
            "comments": _upload("comments.csv", files["comments"]),
            "votes": _upload("votes.csv", files["votes"] or b""),
        },
        HTTP_HX_REQUEST="true",
    )
    assert good.status_code == 200
    job = PolisImport.objects.get(community=community)
    assert good["HX-Redirect"] == job.get_absolute_url()
    partial = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="job-status"')
    assert 'hx-trigger="every 2s"' in partial
    assert "Waiting for a worker" in partial


@pytest.mark.parametrize("role", [Role.MEMBER, Role.OBSERVER])
def test_members_and_observers_may_not_import(role: Role) -> None:
    client, community = _member(role)
    files = good_files()
    assert client.get(_import_url(community)).status_code == 403
    response = client.post(
        _import_url(community),
        {
            "comments": _upload("comments.csv", files["comments"]),
            "votes": _upload("votes.csv", files["votes"] or b""),
        },
    )
    assert response.status_code == 403
    assert not Space.objects.exists()
    assert not PolisImport.objects.exists()


def test_a_facilitator_of_another_community_may_not_import_here() -> None:
    client, _ = _member(Role.FACILITATOR)
    other = CommunityFactory.create()
    assert client.get(_import_url(other)).status_code == 403


def test_a_banned_facilitator_may_not_import() -> None:
    client, community = _member(Role.FACILITATOR)
    Membership.objects.filter(community=community).update(status=Membership.Status.BANNED)
    assert client.get(_import_url(community)).status_code in (403, 404)


def test_a_private_community_is_hidden_from_outsiders_and_anonymous_users_must_log_in(
    settings: object,
) -> None:
    # A plain path: the login page's URL name belongs to the communities work.
    settings.LOGIN_URL = "/accounts/login/"  # type: ignore[attr-defined]
    private = CommunityFactory.create(visibility=Community.Visibility.PRIVATE)
    outsider = Client()
    outsider.force_login(UserFactory.create())
    assert outsider.get(_import_url(private)).status_code == 404
    anonymous = Client().get(_import_url(private))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=")


# --- Export -----------------------------------------------------------------


def _imported_space(community: Community) -> Space:
    return polis.space_import_polis(community=community, actor=None, **good_files())


def _zip_files(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name.rsplit("/", 1)[-1]: archive.read(name) for name in archive.namelist()}


def test_a_facilitator_downloads_the_space_as_a_polis_zip() -> None:
    client, community = _member(Role.FACILITATOR)
    space = _imported_space(community)
    response = client.get(reverse("elicitation:polis_export", kwargs={"space_id": space.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="polis-space-{space.pk}.zip"' in response["Content-Disposition"]
    files = _zip_files(response.content)
    assert set(files) == {"comments.csv", "votes.csv", "participants-votes.csv", "summary.csv"}
    assert files["votes.csv"].count(b"\n") == 6  # header + 5 events


def test_a_member_may_not_download_the_export() -> None:
    client, community = _member(Role.MEMBER)
    space = _imported_space(community)
    space.phase = Space.Phase.OPEN
    space.save(update_fields=["phase"])
    response = client.get(reverse("elicitation:polis_export", kwargs={"space_id": space.pk}))
    assert response.status_code == 403


def _api_url(space_id: int) -> str:
    return f"/api/v1/spaces/{space_id}/export/polis.zip"


def test_the_api_returns_the_zip_to_a_facilitator_with_group_ids_from_the_latest_analysis() -> None:
    client, community = _member(Role.FACILITATOR)
    space = _imported_space(community)
    AnalysisRun.objects.create(
        space=space,
        status=AnalysisRun.Status.SUCCEEDED,
        result={"participants": {"0": 1, "1": 0, "2": None}},
    )
    response = client.get(_api_url(space.pk), HTTP_ACCEPT="application/zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    wide = _zip_files(response.content)["participants-votes.csv"].decode().splitlines()
    assert wide[0].startswith("participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2")
    rows = {line.split(",")[0]: line.split(",") for line in wide[1:]}
    assert rows["0"][1] == "1"
    assert rows["1"][1] == "0"
    assert rows["2"][1] == ""
    assert rows["3"][1] == ""
    assert rows["1"][6] == "1"  # participant 1's latest vote on comment 0 (changed from -1)


def test_the_api_refuses_anonymous_clients_members_and_unknown_spaces_with_json_errors() -> None:
    client, community = _member(Role.MEMBER)
    space = _imported_space(community)
    space.phase = Space.Phase.OPEN
    space.save(update_fields=["phase"])
    anonymous = Client().get(_api_url(space.pk))
    assert anonymous.status_code in (401, 403)
    assert "detail" in anonymous.json()
    member = client.get(_api_url(space.pk))
    assert member.status_code == 403
    assert "detail" in member.json()
    facilitator, _ = _member(Role.FACILITATOR, community)
    missing = facilitator.get(_api_url(space.pk + 1000), HTTP_ACCEPT="application/zip")
    assert missing.status_code == 404
    assert b"detail" in missing.content


def test_the_export_endpoint_is_documented_in_the_openapi_schema() -> None:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/spaces/{space_id}/export/polis.zip"]["get"]
    assert "application/zip" in operation["responses"]["200"]["content"]
    assert {"401", "403", "404", "429"} <= set(operation["responses"])


def test_exports_hold_no_usernames_emails_account_ids_or_xids() -> None:
    user = UserFactory.create(username="zelda-secret", email="zelda@hidden.example")
    community = CommunityFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.OWNER)
    wide = csv_bytes(
        [["participant", "xid", "0", "1", "2"], [0, "embed-xid-777", 1, "", ""], [1, "", -1, 1, ""]]
    )
    space = polis.space_import_polis(
        community=community,
        actor=user,
        comments=csv_bytes(comments_rows()),
        participants_votes=wide,
    )
    # Bind an imported participant to the account, as a later login would.
    participant = space.participants.get(number=1)
    participant.user = user
    participant.save(update_fields=["user"])
    client = Client()
    client.force_login(user)
    response = client.get(_api_url(space.pk), HTTP_ACCEPT="application/zip")
    assert response.status_code == 200
    for content in _zip_files(response.content).values():
        text = content.decode()
        assert "zelda" not in text
        assert "hidden.example" not in text
        assert "embed-xid-777" not in text
        assert "xid" not in text
    wide_lines = _zip_files(response.content)["participants-votes.csv"].decode().splitlines()
    assert wide_lines[0].split(",")[:2] == ["participant", "group-id"]
    # Participants appear as their per-space numbers and nothing else.
    assert [line.split(",")[0] for line in wide_lines[1:]] == ["0", "1", "2"]


def test_facilitators_find_the_import_and_export_links_and_members_do_not() -> None:
    client, community = _member(Role.FACILITATOR)
    space = _imported_space(community)
    spaces_page = client.get(
        reverse("elicitation:community_spaces", kwargs={"slug": community.slug})
    ).content.decode()
    assert f'href="{_import_url(community)}"' in spaces_page
    space_page = client.get(space.get_absolute_url()).content.decode()
    export_url = reverse("elicitation:polis_export", kwargs={"space_id": space.pk})
    assert f'href="{export_url}"' in space_page

    space.phase = Space.Phase.OPEN
    space.save(update_fields=["phase"])
    member, _ = _member(Role.MEMBER, community)
    assert (
        _import_url(community)
        not in member.get(
            reverse("elicitation:community_spaces", kwargs={"slug": community.slug})
        ).content.decode()
    )
    assert export_url not in member.get(space.get_absolute_url()).content.decode()


def test_the_api_accepts_an_api_token_of_a_facilitator() -> None:
    from communities.services import api_token_create

    user = UserFactory.create()
    community = CommunityFactory.create()
    MembershipFactory.create(user=user, community=community, role=Role.FACILITATOR)
    space = _imported_space(community)
    _, key = api_token_create(user=user, name="exports")
    response = Client().get(_api_url(space.pk), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert set(_zip_files(response.content)) == {
        "comments.csv",
        "votes.csv",
        "participants-votes.csv",
        "summary.csv",
    }
    refused = Client().get(_api_url(space.pk), HTTP_AUTHORIZATION="Token not-a-real-key")
    assert refused.status_code in (401, 403)


# --- Export modes: safe for spreadsheets, exact for tools --------------------

FORMULAS = ['=HYPERLINK("http://x.example","click")', "+1+1", "-2+3", "@SUM(A1)", "Plain"]


def _space_with_formula_texts(community: Community) -> Space:
    rows = comments_rows()[:1]
    for number, text in enumerate(FORMULAS):
        rows.append([1600000000000 + number, "", number, "", 0, 0, 1, "false", "false", text])
    votes = [votes_rows()[0], [1600000010000, "", 0, 0, -1], [1600000011000, "", 1, 1, 1]]
    summary = csv_bytes([["topic", "=cmd|' /C calc'!A0"], ["conversation-description", "-desc"]])
    return polis.space_import_polis(
        community=community,
        actor=None,
        comments=csv_bytes(rows),
        votes=csv_bytes(votes),
        summary=summary,
    )


def _csv_cells(data: bytes) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def test_the_browser_download_neutralises_formula_cells_and_leaves_numbers_alone() -> None:
    client, community = _member(Role.FACILITATOR)
    space = _space_with_formula_texts(community)
    url = reverse("elicitation:polis_export", kwargs={"space_id": space.pk})

    files = _zip_files(client.get(url).content)

    comments = _csv_cells(files["comments.csv"])
    assert [row[-1] for row in comments[1:]] == ["'" + text for text in FORMULAS[:4]] + ["Plain"]
    # Numbers we write are numbers, never prefixed: -1 is a vote, not a formula.
    assert _csv_cells(files["votes.csv"])[1] == [
        "1600000010000",
        _csv_cells(files["votes.csv"])[1][1],
        "0",
        "0",
        "-1",
    ]
    for name in ("comments.csv", "votes.csv", "participants-votes.csv"):
        for row in _csv_cells(files[name])[1:]:
            cells = row[:-1] if name == "comments.csv" else row
            assert not any(cell.startswith("'") for cell in cells), (name, row)
    summary = dict(_csv_cells(files["summary.csv"]))
    assert summary["topic"] == "'=cmd|' /C calc'!A0"
    assert summary["conversation-description"] == "'-desc"


def test_the_exact_download_the_api_and_the_command_keep_the_texts_and_import_back(
    tmp_path: object,
) -> None:
    from pathlib import Path

    from django.core.management import call_command

    client, community = _member(Role.FACILITATOR)
    space = _space_with_formula_texts(community)
    exact_url = reverse("elicitation:polis_export", kwargs={"space_id": space.pk}) + "?mode=exact"
    exact = _zip_files(client.get(exact_url).content)
    api = _zip_files(client.get(_api_url(space.pk), HTTP_ACCEPT="application/zip").content)
    out = Path(str(tmp_path)) / "out"
    call_command("export_polis", str(space.pk), str(out), stdout=io.StringIO())
    from_command = {path.name: path.read_bytes() for path in out.iterdir()}

    assert exact == api == from_command == polis.polis_export_files(space=space)
    assert [row[-1] for row in _csv_cells(exact["comments.csv"])[1:5]] == FORMULAS[:4]
    again = polis.space_import_polis(
        community=community,
        actor=None,
        comments=exact["comments.csv"],
        votes=exact["votes.csv"],
        participants_votes=exact["participants-votes.csv"],
        summary=exact["summary.csv"],
        second_copy=True,
    )
    assert polis.polis_export_files(space=again) == exact
    assert again.title == space.title == "=cmd|' /C calc'!A0"


def test_the_api_gives_the_safe_mode_on_request_and_refuses_an_unknown_mode() -> None:
    client, community = _member(Role.FACILITATOR)
    space = _space_with_formula_texts(community)
    safe = client.get(_api_url(space.pk) + "?mode=safe", HTTP_ACCEPT="application/zip")
    assert _csv_cells(_zip_files(safe.content)["comments.csv"])[1][-1] == "'" + FORMULAS[0]
    bad = client.get(_api_url(space.pk) + "?mode=raw")
    assert bad.status_code == 400
    assert "mode=exact" in bad.json()["detail"]
    page = client.get(
        reverse("elicitation:polis_export", kwargs={"space_id": space.pk}) + "?mode=raw"
    )
    assert page.status_code == 400
    assert "mode=safe" in page.content.decode()


def test_the_space_page_explains_the_safe_download_and_links_the_exact_one() -> None:
    client, community = _member(Role.FACILITATOR)
    space = _imported_space(community)
    html = client.get(space.get_absolute_url()).content.decode()
    export_url = reverse("elicitation:polis_export", kwargs={"space_id": space.pk})
    assert f'href="{export_url}?mode=exact"' in html
    assert "opens safely in a spreadsheet" in html


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
        (-1, -1),
        (0, 0),
    ],
)
def test_neutralise_formula_prefixes_only_text_that_a_spreadsheet_would_run(
    cell: object, safe: object
) -> None:
    from elicitation.polis.exporter import neutralise_formula

    assert neutralise_formula(cell) == safe
