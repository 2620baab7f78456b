"""Translations of a space's content: services, the one rule choosing the text, pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from communities.roles import Action, Role
from config.exceptions import Forbidden, NotFound
from elicitation import selectors, services
from elicitation.models import (
    ModerationAction,
    ModerationStatus,
    Space,
    SpaceTranslation,
    Statement,
    StatementTranslation,
)
from tests.factories import (
    MembershipFactory,
    ParticipantFactory,
    SpaceFactory,
    StatementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
GERMAN = "Parks sollten für alle Menschen jederzeit offen sein"


def _access(user: User | AnonymousUser, space: Space) -> selectors.SpaceAccess:
    return selectors.space_access(user=user, space_id=space.pk)


@pytest.fixture
def statement(space: Space) -> Statement:
    return StatementFactory.create(space=space, number=1, text="Parks should be open to everyone")


# --- services -------------------------------------------------------------------


def test_a_facilitator_adds_a_statement_translation_and_the_log_records_it(
    space: Space, facilitator: User, statement: Statement
) -> None:
    translation_, created = services.statement_translation_set(
        access=_access(facilitator, space),
        actor=facilitator,
        statement=statement,
        language="de",
        text=f"  {GERMAN}\n",
    )
    assert created
    assert translation_.text == GERMAN
    assert translation_.added_by == facilitator
    entry = ModerationAction.objects.get(space=space)
    assert entry.action == ModerationAction.Action.TRANSLATE
    assert entry.statement == statement
    assert entry.actor_role == Role.FACILITATOR
    assert entry.detail == {"language": "de", "change": "added", "text": GERMAN}
    statement.refresh_from_db()
    assert statement.text == "Parks should be open to everyone"  # the original stays


def test_updating_logs_before_and_after_and_an_unchanged_text_logs_nothing(
    space: Space, facilitator: User, statement: Statement
) -> None:
    access = _access(facilitator, space)
    args: dict[str, Any] = {"access": access, "actor": facilitator, "statement": statement}
    services.statement_translation_set(**args, language="de", text=GERMAN)
    _t, created = services.statement_translation_set(
        **args, language="de", text="Parks sollen allen offenstehen"
    )
    services.statement_translation_set(**args, language="de", text="Parks sollen allen offenstehen")
    assert not created
    assert StatementTranslation.objects.get().text == "Parks sollen allen offenstehen"
    entries = list(ModerationAction.objects.order_by("id"))
    assert [e.detail["change"] for e in entries] == ["added", "updated"]
    assert entries[1].detail["previous"] == GERMAN


def test_removing_a_translation_is_logged_and_a_missing_one_is_not_found(
    space: Space, facilitator: User, statement: Statement
) -> None:
    access = _access(facilitator, space)
    services.statement_translation_set(
        access=access, actor=facilitator, statement=statement, language="de", text=GERMAN
    )
    services.statement_translation_remove(
        access=access, actor=facilitator, statement=statement, language="de"
    )
    assert not StatementTranslation.objects.exists()
    assert ModerationAction.objects.order_by("-id").first().detail == {  # type: ignore[union-attr]
        "language": "de",
        "change": "removed",
        "previous": GERMAN,
    }
    with pytest.raises(NotFound):
        services.statement_translation_remove(
            access=access, actor=facilitator, statement=statement, language="de"
        )


@pytest.mark.parametrize("role", [None, Role.MEMBER, Role.OBSERVER])
def test_only_moderators_translate_and_a_refusal_changes_nothing(
    space: Space, statement: Statement, role: str | None
) -> None:
    user = UserFactory.create()
    if role is not None:
        MembershipFactory.create(user=user, community=space.community, role=role)
    access = _access(user, space)
    with pytest.raises(Forbidden) as refused:
        services.statement_translation_set(
            access=access, actor=user, statement=statement, language="de", text=GERMAN
        )
    assert refused.value.code == "not_translator"
    with pytest.raises(Forbidden):
        services.space_translation_set(
            access=access, actor=user, language="de", title="Titel", question="Frage?"
        )
    assert not StatementTranslation.objects.exists()
    assert not SpaceTranslation.objects.exists()
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize(
    ("language", "text", "field", "message"),
    [
        ("de", "kurz", "text", "at least 10"),
        ("de", "x" * 401, "text", "at most 400"),
        ("de", "Parks \u202esollten offen sein", "text", "override"),
        (
            "de",
            "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b",
            "text",
            "visible",
        ),
        ("de", "Parks sollten\x00 offen sein", "text", "NUL"),
        ("de", "   ", "text", "empty"),
        ("xx", GERMAN, "language", "Unknown language"),
        ("", GERMAN, "language", "Choose a language"),
        ("en", GERMAN, "language", "own language"),
    ],
)
def test_bad_statement_translations_are_refused_naming_the_field(
    space: Space,
    facilitator: User,
    statement: Statement,
    language: str,
    text: str,
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.statement_translation_set(
            access=_access(facilitator, space),
            actor=facilitator,
            statement=statement,
            language=language,
            text=text,
        )
    assert list(refused.value.message_dict) == [field]
    assert message in refused.value.message_dict[field][0]
    assert not StatementTranslation.objects.exists()
    assert not ModerationAction.objects.exists()


def test_a_statement_of_another_space_is_not_found(space: Space, facilitator: User) -> None:
    other = StatementFactory.create(text="Somewhere else entirely, friends")
    with pytest.raises(NotFound):
        services.statement_translation_set(
            access=_access(facilitator, space),
            actor=facilitator,
            statement=other,
            language="de",
            text=GERMAN,
        )


def test_space_translations_are_set_updated_removed_and_logged(
    space: Space, facilitator: User
) -> None:
    access = _access(facilitator, space)
    services.space_translation_set(
        access=access, actor=facilitator, language="fr", title="Parcs", question="Quoi ?"
    )
    with pytest.raises(ValidationError) as refused:
        services.space_translation_set(
            access=access, actor=facilitator, language="fr", title=" ", question="Quoi ?"
        )
    assert list(refused.value.message_dict) == ["title"]
    services.space_translation_set(
        access=access,
        actor=facilitator,
        language="fr",
        title="Nos parcs",
        question="Quoi ?",
        description="Une description.",
    )
    services.space_translation_remove(access=access, actor=facilitator, language="fr")
    changes = [
        (e.detail["change"], e.detail.get("space", {}).get("title"))
        for e in ModerationAction.objects.order_by("id")
    ]
    assert changes == [("added", "Parcs"), ("updated", "Nos parcs"), ("removed", None)]
    assert not SpaceTranslation.objects.exists()


def test_the_space_language_is_a_logged_setting_limited_to_the_site_languages(
    space: Space, facilitator: User
) -> None:
    services.space_update(space=space, actor=facilitator, language="de")
    entry = ModerationAction.objects.get()
    assert entry.detail["changes"]["language"] == {"from": "en", "to": "de"}
    with pytest.raises(ValidationError) as refused:
        services.space_update(space=space, actor=facilitator, language="tlh")
    assert "language" in refused.value.message_dict


def test_a_new_space_is_written_in_the_site_language(settings: Any) -> None:
    settings.LANGUAGE_CODE = "fr"
    assert SpaceFactory.create().language == "fr"


# --- the one rule ---------------------------------------------------------------


def test_shown_text_prefers_the_reader_language_and_falls_back_to_the_original() -> None:
    translations = {"de": "Auf Deutsch", "fr": ""}
    german = selectors.shown_text(
        original="In English", original_language="en", translations=translations, language="de"
    )
    assert (german.text, german.language, german.translated) == ("Auf Deutsch", "de", True)
    assert german.original == "In English"
    assert german.original_language == "en"
    for language in ("en", "fr", "es"):  # the original, an empty translation, none at all
        shown = selectors.shown_text(
            original="In English",
            original_language="en",
            translations=translations,
            language=language,
        )
        assert (shown.text, shown.language, shown.translated) == ("In English", "en", False)


def test_statements_shown_attaches_each_reader_text_in_one_query(
    space: Space, django_assert_num_queries: Any
) -> None:
    statements = [
        StatementFactory.create(space=space, number=n, text=f"Original statement {n}")
        for n in range(1, 21)
    ]
    for s in statements[::2]:
        StatementTranslation.objects.create(statement=s, language="de", text=f"Aussage {s.number}")
    rows: list[dict[str, Any]] = [{"number": s.number, "text": s.text} for s in statements]
    with django_assert_num_queries(1):
        selectors.statements_shown(space=space, items=statements, language="de")
    with django_assert_num_queries(1):
        selectors.statements_shown(space=space, items=rows, language="de")
    assert statements[0].shown.text == "Aussage 1"  # type: ignore[attr-defined]
    assert statements[1].shown.text == "Original statement 2"  # type: ignore[attr-defined]
    assert rows[2]["shown"].language == "de"
    assert rows[3]["shown"].language == "en"
    with django_assert_num_queries(0):  # the space's own language needs nothing
        selectors.statements_shown(space=space, items=statements[:3], language="en")
    assert statements[0].shown.text == "Original statement 1"  # type: ignore[attr-defined]


def test_the_space_shown_falls_back_field_by_field(space: Space) -> None:
    space.description = "The original description."
    SpaceTranslation.objects.create(space=space, language="es", title="Parques", question="¿Qué?")
    shown = selectors.space_shown(space=space, language="es")
    assert shown.title.text == "Parques"
    assert shown.title.language == "es"
    assert shown.description.text == "The original description."
    assert shown.description.language == "en"


# --- pages ----------------------------------------------------------------------


def _translate(space: Space, statement: Statement) -> None:
    StatementTranslation.objects.create(statement=statement, language="de", text=GERMAN)
    SpaceTranslation.objects.create(
        space=space, language="de", title="Unsere Parks", question="Was ist uns wichtig?"
    )


def test_a_german_reader_sees_the_translation_with_the_original_one_click_away(
    client: Client, space: Space, statement: Statement
) -> None:
    _translate(space, statement)
    body = client.get(space.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f'<span lang="de">{GERMAN}</span>' in body
    assert '<h1 lang="de">Unsere Parks</h1>' in body
    assert '<details class="shown-original">' in body
    assert '<p lang="en">Parks should be open to everyone</p>' in body
    english = client.get(space.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert GERMAN not in english
    assert "shown-original" not in english
    assert '<span lang="en">Parks should be open to everyone</span>' in english


@pytest.mark.parametrize("page", ["statements", "statement", "stand", "pairwise", "ranking"])
def test_statement_pages_show_the_reader_language(
    client: Client, space: Space, statement: Statement, page: str
) -> None:
    _translate(space, statement)
    StatementFactory.create(space=space, number=2, text="Libraries should open on Sundays")
    kwargs = {"number": 1} if page == "statement" else {}
    response = client.get(
        reverse(f"elicitation:{page}", kwargs={"space_id": space.pk, **kwargs}),
        HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert '<h1 lang="de">Unsere Parks</h1>' in body
    if page == "ranking":  # a <select>'s options carry their own lang
        assert f'lang="de">#1 {GERMAN}</option>' in body
    elif page != "stand":  # where-you-stand lists statements once a participant took part
        assert f'<span lang="de">{GERMAN}</span>' in body


def test_the_statement_list_reads_translations_in_one_query_whatever_its_length(
    client: Client, space: Space, django_assert_max_num_queries: Any
) -> None:
    for n in range(1, 41):
        s = StatementFactory.create(space=space, number=n, text=f"Original statement {n}")
        StatementTranslation.objects.create(statement=s, language="de", text=f"Aussage {n} ok")
    url = reverse("elicitation:statements", kwargs={"space_id": space.pk})
    client.get(url, HTTP_ACCEPT_LANGUAGE="de")  # warm the caches
    with django_assert_max_num_queries(8):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert body.count('lang="de">Aussage') == 40


def test_the_translations_page_is_for_moderators(
    client: Client, space: Space, member: User, facilitator: User, statement: Statement
) -> None:
    url = reverse("elicitation:translations", kwargs={"space_id": space.pk})
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(facilitator)
    response = client.get(url + "?lang=fr")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Parks should be open to everyone" in body
    assert 'name="language" value="fr"' in body


def test_the_translations_page_lists_missing_statements_in_few_queries(
    client: Client, space: Space, facilitator: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(1, 31):
        s = StatementFactory.create(space=space, number=n, text=f"Original statement {n}")
        if n % 3 == 0:
            StatementTranslation.objects.create(statement=s, language="de", text=f"Aussage {n} ok")
    client.force_login(facilitator)
    url = reverse("elicitation:translations", kwargs={"space_id": space.pk})
    with django_assert_max_num_queries(16):
        missing = client.get(url + "?lang=de&show=missing").content.decode()
    assert missing.count('class="card translation-row"') == 20
    assert "Original statement 3<" not in missing
    everything = client.get(url + "?lang=de&show=all").content.decode()
    assert everything.count('class="card translation-row"') == 30
    assert "Aussage 3 ok</textarea>" in everything


def test_an_htmx_translation_swaps_the_row_and_bad_text_gets_400_with_the_text_kept(
    client: Client, space: Space, facilitator: User, statement: Statement
) -> None:
    client.force_login(facilitator)
    url = reverse(
        "elicitation:statement_translation_save", kwargs={"space_id": space.pk, "number": 1}
    )
    response = client.post(url, {"language": "de", "text": GERMAN}, headers=HX)
    assert response.status_code == 201
    assert 'id="tr-1"' in response.content.decode()
    assert StatementTranslation.objects.get().text == GERMAN
    bad = client.post(url, {"language": "de", "text": "zu kurz"}, headers=HX)
    assert bad.status_code == 400
    assert "at least 10" in bad.content.decode()
    assert "zu kurz</textarea>" in bad.content.decode()
    assert StatementTranslation.objects.get().text == GERMAN
    without_js = client.post(url, {"language": "de", "text": "zu kurz"})
    assert without_js.status_code == 400
    assert "zu kurz</textarea>" in without_js.content.decode()
    removed = client.post(url, {"language": "de", "remove": "1"})
    assert removed.status_code == 302
    assert not StatementTranslation.objects.exists()


def test_a_member_cannot_post_a_translation(
    client: Client, space: Space, member: User, statement: Statement
) -> None:
    client.force_login(member)
    url = reverse(
        "elicitation:statement_translation_save", kwargs={"space_id": space.pk, "number": 1}
    )
    assert client.post(url, {"language": "de", "text": GERMAN}).status_code == 403
    space_url = reverse("elicitation:space_translation_save", kwargs={"space_id": space.pk})
    assert (
        client.post(space_url, {"language": "de", "title": "T", "question": "Q"}).status_code == 403
    )
    assert not StatementTranslation.objects.exists()
    assert not SpaceTranslation.objects.exists()


def test_the_space_translation_form_saves_and_reports_errors(
    client: Client, space: Space, facilitator: User
) -> None:
    client.force_login(facilitator)
    url = reverse("elicitation:space_translation_save", kwargs={"space_id": space.pk})
    bad = client.post(url, {"language": "de", "title": "Unsere Parks", "question": ""})
    assert bad.status_code == 400
    assert "Question: This field is required." in bad.content.decode()
    assert 'value="Unsere Parks"' in bad.content.decode()
    ok = client.post(url, {"language": "de", "title": "Unsere Parks", "question": "Was zählt?"})
    assert ok.status_code == 302
    assert SpaceTranslation.objects.get().question == "Was zählt?"


def test_pending_statements_can_be_translated_and_rejected_ones_are_not_listed(
    space: Space, facilitator: User
) -> None:
    StatementFactory.create(space=space, number=1, status=ModerationStatus.PENDING)
    StatementFactory.create(space=space, number=2, status=ModerationStatus.REJECTED)
    listed = selectors.statements_for_translation(space=space, language="de", missing_only=True)
    assert [s.number for s in listed] == [1]
    with translation.override("de"):
        progress = {p.language: p for p in selectors.translation_progress(space=space)}
    assert set(progress) == {"de", "fr", "es"}
    assert progress["de"].missing == 1
    assert selectors.space_access(
        user=facilitator, space_id=space.pk, action=Action.MODERATE
    ).may_moderate


# --- API ------------------------------------------------------------------------


def _statement_translation_url(space: Space, number: int, language: str) -> str:
    return f"/api/v1/spaces/{space.pk}/statements/{number}/translations/{language}/"


def test_facilitators_put_and_delete_translations_over_the_api(
    api: Any, space: Space, facilitator: User, statement: Statement
) -> None:
    api.force_authenticate(facilitator)
    url = _statement_translation_url(space, 1, "de")
    created = api.put(url, {"text": GERMAN}, format="json")
    assert created.status_code == 201
    assert created.json()["text"] == GERMAN
    assert created.json()["number"] == 1
    replaced = api.put(url, {"text": "Parks sollen allen offenstehen"}, format="json")
    assert replaced.status_code == 200
    space_url = f"/api/v1/spaces/{space.pk}/translations/fr/"
    assert (
        api.put(space_url, {"title": "Nos parcs", "question": "Quoi ?"}, format="json").status_code
        == 201
    )
    listed = api.get(f"/api/v1/spaces/{space.pk}/statements/").json()["results"][0]
    assert listed["text"] == "Parks should be open to everyone"
    assert listed["language"] == "en"
    assert listed["translations"] == [{"language": "de", "text": "Parks sollen allen offenstehen"}]
    detail = api.get(f"/api/v1/spaces/{space.pk}/").json()
    assert detail["language"] == "en"
    assert detail["translations"] == [
        {"language": "fr", "title": "Nos parcs", "question": "Quoi ?", "description": ""}
    ]
    assert api.delete(url).status_code == 204
    assert api.delete(url).json()["code"] == "no_translation"
    assert api.delete(space_url).status_code == 204
    changes = list(
        ModerationAction.objects.filter(action="translate")
        .order_by("id")
        .values_list("detail__change", flat=True)
    )
    assert changes == ["added", "updated", "added", "removed", "removed"]


@pytest.mark.parametrize(
    ("language", "body", "field"),
    [
        ("de", {"text": "kurz"}, "text"),
        ("de", {}, "text"),
        ("de", {"text": "Parks \u202eopen to all people"}, "text"),
        ("xx", {"text": GERMAN}, "language"),
        ("en", {"text": GERMAN}, "language"),
    ],
)
def test_bad_api_translations_get_400_naming_the_field(
    api: Any,
    space: Space,
    facilitator: User,
    statement: Statement,
    language: str,
    body: dict[str, str],
    field: str,
) -> None:
    api.force_authenticate(facilitator)
    response = api.put(_statement_translation_url(space, 1, language), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not StatementTranslation.objects.exists()


def test_the_api_refuses_translations_from_members_and_anonymous_clients(
    api: Any, space: Space, member: User, statement: Statement
) -> None:
    url = _statement_translation_url(space, 1, "de")
    assert api.put(url, {"text": GERMAN}, format="json").status_code == 401
    api.force_authenticate(member)
    assert api.put(url, {"text": GERMAN}, format="json").status_code == 403
    assert api.put(_statement_translation_url(space, 99, "de"), {"text": GERMAN}).status_code == 403
    assert not StatementTranslation.objects.exists()


def test_a_missing_statement_is_404_for_a_facilitator(
    api: Any, space: Space, facilitator: User
) -> None:
    api.force_authenticate(facilitator)
    url = _statement_translation_url(space, 99, "de")
    assert api.put(url, {"text": GERMAN}, format="json").status_code == 404


def test_the_api_statement_list_reads_translations_in_one_query(
    api: Any, space: Space, django_assert_max_num_queries: Any
) -> None:
    for n in range(1, 31):
        s = StatementFactory.create(space=space, number=n, text=f"Original statement {n}")
        StatementTranslation.objects.create(statement=s, language="de", text=f"Aussage {n} ok")
    url = f"/api/v1/spaces/{space.pk}/statements/"
    api.get(url)
    with django_assert_max_num_queries(6):
        results = api.get(url).json()["results"]
    assert len(results) == 30
    assert all(r["translations"][0]["language"] == "de" for r in results)


def test_the_space_language_is_set_over_the_api(api: Any, space: Space, facilitator: User) -> None:
    api.force_authenticate(facilitator)
    response = api.patch(f"/api/v1/spaces/{space.pk}/", {"language": "xx"}, format="json")
    assert response.status_code == 400
    assert "language" in response.json()
    response = api.patch(f"/api/v1/spaces/{space.pk}/", {"language": "fr"}, format="json")
    assert response.json()["language"] == "fr"


def test_where_you_stand_shows_your_own_statements_in_your_language(
    client: Client, space: Space, member: User
) -> None:
    participant = ParticipantFactory.create(space=space, user=member, anon_token="")
    mine = StatementFactory.create(
        space=space, number=1, text="Parks should be open to everyone", author=participant
    )
    StatementTranslation.objects.create(statement=mine, language="de", text=GERMAN)
    client.force_login(member)
    body = client.get(
        reverse("elicitation:stand", kwargs={"space_id": space.pk}), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert f'<span lang="de">{GERMAN}</span>' in body
    assert '<p lang="en">Parks should be open to everyone</p>' in body


def test_the_public_log_keeps_a_pending_statement_translation_words_to_moderators(
    api: Any, client: Client, space: Space, facilitator: User
) -> None:
    pending = StatementFactory.create(
        space=space, number=1, text="Parks should be open to everyone", status="pending"
    )
    services.statement_translation_set(
        access=_access(facilitator, space),
        actor=facilitator,
        statement=pending,
        language="de",
        text=GERMAN,
    )
    url = f"/api/v1/spaces/{space.pk}/decisions/"
    public = api.get(url).json()["results"][0]
    assert public["action"] == "translate"
    assert public["detail"] == {"language": "de", "change": "added"}
    assert (
        GERMAN not in client.get(reverse("elicitation:decisions", args=[space.pk])).content.decode()
    )
    api.force_authenticate(facilitator)
    assert api.get(url).json()["results"][0]["detail"]["text"] == GERMAN
    pending.status = ModerationStatus.ACCEPTED
    pending.save(update_fields=["status"])
    api.force_authenticate(None)
    assert api.get(url).json()["results"][0]["detail"]["text"] == GERMAN
