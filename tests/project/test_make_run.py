"""`make run` as a newcomer meets it: runtime dependencies only, a clean Ctrl-C, the login on screen."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _fake_venv(tmp_path: Path) -> Path:
    """A virtualenv whose python and celery only pretend: migrate and load_demo
    return at once, the web server and the worker wait until stopped."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name in ("python", "celery"):
        script = venv / "bin" / name
        script.write_text(
            '#!/bin/sh\ncase "$*" in *runserver*|*worker*) exec sleep 60 ;; esac\nexit 0\n'
        )
        script.chmod(0o755)
    time.sleep(0.01)
    for stamp in (".installed", ".runtime-installed"):
        (venv / stamp).touch()
    return venv


def test_make_run_installs_the_runtime_dependencies_only(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh-venv"
    plan = subprocess.run(
        ["make", "-n", "run", f"VENV={fresh}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    installs = [line for line in plan.splitlines() if "pip install" in line]
    assert any(line.rstrip().endswith("-e .") for line in installs), installs
    assert not any("[dev]" in line for line in installs), installs


def test_ctrl_c_stops_make_run_without_a_segmentation_fault(tmp_path: Path) -> None:
    venv = _fake_venv(tmp_path)
    process = subprocess.Popen(
        ["make", "run", f"VENV={venv}", "PORT=8999"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    time.sleep(5)
    # A terminal's Ctrl-C: SIGINT to the whole foreground process group.
    os.killpg(process.pid, signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    text = output.decode(errors="replace")
    assert "Segmentation fault" not in text, text
    assert "demo login: demo / polyphony-demo" in text
    # The login is among the last lines printed before Ctrl-C, so it is on screen.
    printed = [line for line in text.splitlines() if line.strip() and "make: ***" not in line]
    assert any("demo login" in line for line in printed[-2:]), text
    leftover = subprocess.run(
        ["pgrep", "-g", str(process.pid)], capture_output=True, text=True
    ).stdout.split()
    assert leftover == [], leftover
