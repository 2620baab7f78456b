"""A missing tool skips a test on a laptop and fails it in CI (POLYPHONY_REQUIRE_ALL=1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests import requirements


def test_a_missing_requirement_skips_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYPHONY_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs the shared Pol"):
        requirements.require_shared_data(Path("/nonexistent/polis"))


def test_require_all_turns_the_skip_into_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYPHONY_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="POLYPHONY_REQUIRE_ALL=1 makes this"):
        requirements.require_shared_data(Path("/nonexistent/polis"))


def test_a_chromium_hidden_from_path_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYPHONY_REQUIRE_ALL", raising=False)
    monkeypatch.delenv("POLYPHONY_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.skip.Exception, match="needs Chromium"):
        requirements.require_chromium()
    with pytest.raises(pytest.skip.Exception, match="redis-server"):
        requirements.require_redis_server()


def test_a_bad_value_of_the_flag_is_an_error_not_a_silent_false(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLYPHONY_REQUIRE_ALL", "sure")
    with pytest.raises(ImproperlyConfigured, match="POLYPHONY_REQUIRE_ALL"):
        requirements.require_all()
