"""Languages and time zones: Accept-Language, the switcher, the account's preferences."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from communities import services
from communities.models import AccountSettings, ApiToken
from config.locale import PREFERENCES_SESSION_KEY, valid_time_zone
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# A few strings translated for these tests (the translators write the rest).
LOG_IN = {"en": "Log in", "de": "Anmelden", "fr": "Se connecter", "es": "Iniciar sesión"}


def _html_lang(body: str) -> str:
    match = re.search(r'<html lang="([^"]*)" dir="(ltr|rtl)"', body)
    assert match, "no <html lang dir>"
    return match.group(1)


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de"),
        ("fr-CH, fr;q=0.9", "fr"),
        ("es-MX,es;q=0.8", "es"),
        ("en-GB", "en"),
        # Not offered: the site's default.
        ("ja-JP,ja;q=0.9", "en"),
    ],
)
def test_the_browser_language_chooses_the_page_language(
    client: Client, accept: str, language: str
) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200
    body = response.content.decode()
    assert _html_lang(body) == language
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    assert f">{LOG_IN[language]}</a>" in body


def test_every_page_offers_the_switcher_with_each_language_in_itself(client: Client) -> None:
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    form = re.search(r'<form class="language-switcher".*?</form>', body, re.S)
    assert form, "no language switcher"
    buttons = re.findall(
        r'<button type="submit" name="language" value="(\w+)" lang="\w+"[^>]*>([^<]+)</button>',
        form.group(0),
    )
    assert buttons == [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
    assert re.search(r'value="fr"[^>]*aria-current="true"', form.group(0))
    assert 'name="next" value="/accounts/login/"' in form.group(0)
    assert "csrfmiddlewaretoken" in form.group(0)


def test_the_switcher_sets_the_cookie_and_goes_back(client: Client) -> None:
    response = client.post(
        "/i18n/setlang/", {"language": "es", "next": "/accounts/login/"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "es"
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 300 * 24 * 3600
    # The cookie wins over the browser's language from now on.
    body = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert _html_lang(body) == "es"
    assert AccountSettings.objects.count() == 0


def test_the_switcher_refuses_a_language_the_site_does_not_offer(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_never_sends_someone_to_another_site(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "de", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_switcher_remembers_the_choice_in_the_account(client: Client) -> None:
    user = UserFactory.create()
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert AccountSettings.objects.get(user=user).language == "de"

    # Another browser (no language cookie, another Accept-Language) logs in: German.
    other = Client()
    other.force_login(user)
    body = other.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert _html_lang(body) == "de"
    assert "Anmelden" not in body  # logged in: no log-in link
    # Logged out, the browser decides again.
    other.post("/accounts/logout/")
    assert _html_lang(other.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()) == "fr"


def test_the_account_page_saves_language_and_time_zone(client: Client) -> None:
    user = UserFactory.create()
    client.force_login(user)
    page = client.get("/accounts/")
    assert 'name="language"' in page.content.decode()
    assert 'name="time_zone"' in page.content.decode()

    response = client.post(
        "/accounts/settings/", {"language": "fr", "time_zone": "America/Montreal"}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    saved = AccountSettings.objects.get(user=user)
    assert (saved.language, saved.time_zone) == ("fr", "America/Montreal")
    body = client.get("/accounts/").content.decode()
    assert _html_lang(body) == "fr"
    assert "America/Montreal" in body


@pytest.mark.parametrize(
    "data",
    [
        {"language": "fr", "time_zone": "Mars/Olympus_Mons"},
        {"language": "fr", "time_zone": "../../etc/passwd"},
        {"language": "klingon", "time_zone": ""},
    ],
)
def test_the_account_page_refuses_an_unknown_language_or_time_zone(
    client: Client, data: dict[str, str]
) -> None:
    user = UserFactory.create()
    client.force_login(user)
    response = client.post("/accounts/settings/", data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not AccountSettings.objects.filter(user=user).exists()


def test_the_service_validates_what_it_stores() -> None:
    user = UserFactory.create()
    with pytest.raises(Exception, match="time zone"):
        services.account_settings_update(user=user, time_zone="Nowhere/Special")
    saved = services.account_settings_update(user=user, language="es")
    assert (saved.language, saved.time_zone) == ("es", "")
    saved = services.account_settings_update(user=user, time_zone="Europe/Madrid")
    assert (saved.language, saved.time_zone) == ("es", "Europe/Madrid")


def _token_created_at_noon_utc(user: User) -> None:
    services.api_token_create(user=user, name="clock", scope="read", expires_at=None)
    ApiToken.objects.update(created_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))


def test_times_follow_the_browser_time_zone_and_dates_the_language(client: Client) -> None:
    user = UserFactory.create()
    _token_created_at_noon_utc(user)
    client.force_login(user)
    client.cookies["tz"] = "Asia/Tokyo"
    body = client.get("/accounts/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "15.01.2026 21:00" in body  # German date format, Tokyo time (UTC+9)
    assert "Asia/Tokyo" in body


@pytest.mark.parametrize(
    "cookie", ["Not/AZone", "../../../etc/passwd", "", "x" * 500, "UTC\x00", "Europe/Berlin/.."]
)
def test_an_invalid_time_zone_cookie_is_ignored(client: Client, cookie: str) -> None:
    user = UserFactory.create()
    _token_created_at_noon_utc(user)
    client.force_login(user)
    client.cookies["tz"] = cookie
    response = client.get("/accounts/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert "15.01.2026 12:00" in response.content.decode()  # the site's zone, UTC


def test_the_account_time_zone_wins_over_the_browser(client: Client) -> None:
    user = UserFactory.create()
    _token_created_at_noon_utc(user)
    services.account_settings_update(user=user, time_zone="America/New_York")
    client.force_login(user)
    client.cookies["tz"] = "Asia/Tokyo"
    body = client.get("/accounts/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "15.01.2026 07:00" in body  # New York, UTC-5 in January


def test_the_account_preferences_are_read_once_per_login(client: Client) -> None:
    user = UserFactory.create()
    services.account_settings_update(user=user, language="es")
    client.force_login(user)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/").content.decode()
    assert _html_lang(body) == "es"
    assert not [q for q in queries.captured_queries if "accountsettings" in q["sql"]]


def test_an_anonymous_visit_costs_no_query_for_the_language(client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        client.get("/healthz", HTTP_ACCEPT_LANGUAGE="de")
    assert not [q for q in queries.captured_queries if "session" in q["sql"]]


def test_time_zone_names_are_checked_against_the_known_list() -> None:
    assert valid_time_zone("Europe/Paris") == "Europe/Paris"
    assert valid_time_zone("UTC") == "UTC"
    assert valid_time_zone("europe/paris") is None
    assert valid_time_zone("/etc/localtime") is None
    assert valid_time_zone(None) is None


def test_a_session_without_the_copy_reads_the_account_once(client: Client) -> None:
    user = UserFactory.create()
    services.account_settings_update(user=user, language="fr")
    client.force_login(user)
    session = client.session
    del session[PREFERENCES_SESSION_KEY]  # a session from before the preferences existed
    session.save()
    assert _html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()) == "fr"
    assert client.session[PREFERENCES_SESSION_KEY]["language"] == "fr"


@pytest.mark.parametrize(
    ("accept", "detail"),
    [
        ("de", "Anmeldedaten fehlen."),
        ("fr", "Informations d'authentification non fournies."),
        ("en", "Authentication credentials were not provided."),
    ],
)
def test_api_errors_come_in_the_language_the_client_asks_for(
    client: Client, accept: str, detail: str
) -> None:
    response = client.get("/api/v1/me/tokens/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 401
    assert response.json()["detail"] == detail
    assert response["Content-Language"] == accept


def test_space_pages_write_dates_in_the_reader_s_own_format(client: Client) -> None:
    # Templates name formats (SHORT_DATETIME_FORMAT), never a pattern, so the
    # order follows the language; English keeps day, month, year (config/formats/en).
    from tests.factories import MembershipFactory, SpaceFactory

    space = SpaceFactory.create(closes_at=datetime(2027, 1, 15, 12, 0, tzinfo=UTC))
    user = UserFactory.create()
    MembershipFactory.create(user=user, community=space.community)
    client.force_login(user)
    expected = {
        "en": "15 Jan 2027 12:00",
        "de": "15.01.2027 12:00",
        "fr": "15/01/2027 12:00",
        "es": "15/01/2027 12:00",
    }
    for language, text in expected.items():
        body = client.get(f"/s/{space.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert text in body, language
