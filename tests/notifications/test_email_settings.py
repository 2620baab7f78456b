"""E-mail settings from the environment: console by default, SMTP from EMAIL_URL or EMAIL_HOST."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.requirements import REPO

_PRINT = (
    "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in "
    "('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', "
    "'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'DEFAULT_FROM_EMAIL', 'SITE_URL')}))"
)


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    names = ("EMAIL_URL", "EMAIL_HOST", "EMAIL_BACKEND", "EMAIL_PORT", "SITE_URL", "DEBUG")
    clean = {k: v for k, v in os.environ.items() if k not in names}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {_PRINT}"],
        cwd=REPO,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_email_goes_to_the_console_unless_configured_and_to_smtp_from_email_url() -> None:
    default = json.loads(_settings().stdout)
    assert default["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert default["SITE_URL"] == "http://127.0.0.1:8000"
    smtp = json.loads(
        _settings(
            EMAIL_URL="submission://mailer:p%40ss@mail.example.org",
            DEFAULT_FROM_EMAIL="Riverside <noreply@example.org>",
            SITE_URL="https://polyphony.example.org/",
        ).stdout
    )
    assert smtp == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "DEFAULT_FROM_EMAIL": "Riverside <noreply@example.org>",
        "SITE_URL": "https://polyphony.example.org",
    }
    by_host = json.loads(_settings(EMAIL_HOST="smtp.example.org", EMAIL_PORT="2525").stdout)
    assert by_host["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (by_host["EMAIL_HOST"], by_host["EMAIL_PORT"]) == ("smtp.example.org", 2525)


def test_a_bad_email_setting_stops_start_up_naming_it() -> None:
    bad = _settings(EMAIL_URL="mail.example.org:25")
    assert bad.returncode != 0
    assert "EMAIL_URL must start with one of" in bad.stderr
    both = _settings(EMAIL_URL="smtp://mail.example.org:465?ssl=true", EMAIL_USE_TLS="true")
    assert both.returncode == 0  # EMAIL_URL wins over the single variables
    assert json.loads(both.stdout)["EMAIL_USE_SSL"] is True
    site = _settings(SITE_URL="polyphony.example.org")
    assert site.returncode != 0
    assert "SITE_URL='polyphony.example.org' must be like https://" in site.stderr
