"""A database that does not answer gives 503 with Retry-After, never a 500."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from config import urls as site_urls


def _unreachable(request: HttpRequest) -> HttpResponse:
    raise OperationalError("connection failed: Connection refused")


def _closed(request: HttpRequest) -> HttpResponse:
    raise InterfaceError("connection already closed")


def _bug(request: HttpRequest) -> HttpResponse:
    raise ValueError("a bug")


urlpatterns = [
    path("page/", _unreachable),
    path("api/v1/thing/", _unreachable),
    path("closed/", _closed),
    path("bug/", _bug),
    *site_urls.urlpatterns,  # the error page links to the site's pages
]
handler500 = "config.errors.server_error"


@pytest.fixture
def client(settings: object) -> Client:
    settings.ROOT_URLCONF = __name__  # type: ignore[attr-defined]
    return Client(raise_request_exception=False)


def test_a_page_gets_a_styled_503_with_retry_after(client: Client) -> None:
    response = client.get("/page/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"briefly unavailable" in response.content


def test_the_api_gets_json(client: Client) -> None:
    response = client.get("/api/v1/thing/")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The service is briefly unavailable. Please try again in a moment."
    }


def test_a_closed_connection_is_unavailable_too(client: Client) -> None:
    assert client.get("/closed/").status_code == 503


def test_any_other_error_stays_a_500(client: Client) -> None:
    response = client.get("/bug/")
    assert response.status_code == 500
    assert "Retry-After" not in response
