"""What a Pol.is upload costs the web process and the worker: time and peak memory.

    python benchmarks/polis_upload.py [--votes 1800000] [--comments 2000]

Writes a synthetic export (votes.csv of about 48 MB at the default size, the
audit's upload), then in separate processes, so each peak is its own:
the web request (the upload form's POST through Django's test client, which
only stores the files and queues the job) and the worker's job (parse and
import). Uses the configured database (DATABASE_URL, or SQLite under
POLYPHONY_VAR_DIR; run `manage.py migrate` first) and removes what it created.
Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _setup() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_export(folder: Path, *, comments: int, votes: int) -> None:
    rng = random.Random(7)
    with (folder / "comments.csv").open("w") as out:
        out.write(
            "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        )
        for number in range(comments):
            out.write(
                f"{1600000000000 + number},,{number},{number % 500},0,0,1,Statement {number}\n"
            )
    with (folder / "votes.csv").open("w") as out:
        out.write("timestamp,datetime,comment-id,voter-id,vote\n")
        for row in range(votes):
            out.write(
                f"{1600000000000 + row},,{rng.randrange(comments)},{rng.randrange(20000)},"
                f"{rng.choice((-1, 0, 1))}\n"
            )


def phase_web(folder: Path) -> dict[str, object]:
    _setup()
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: F401
    from django.test import Client
    from django.test.utils import override_settings

    from communities.models import Community, Membership
    from elicitation.models import PolisImport

    user = User.objects.create_user(f"bench-{os.getpid()}", password="x")
    community = Community.objects.create(name=f"Bench {os.getpid()}", slug=f"bench-{os.getpid()}")
    Membership.objects.create(user=user, community=community, role="owner")
    client = Client()
    client.force_login(user)
    baseline = _peak_mb()
    started = time.perf_counter()
    with (
        override_settings(ALLOWED_HOSTS=["testserver"]),
        (folder / "comments.csv").open("rb") as comments,
        (folder / "votes.csv").open("rb") as votes,
    ):
        response = client.post(
            f"/c/{community.slug}/import/polis/", {"comments": comments, "votes": votes}
        )
    seconds = time.perf_counter() - started
    assert response.status_code == 302, response.content[:500]
    job = PolisImport.objects.get(requested_by=user)
    return {"seconds": seconds, "baseline_mb": baseline, "peak_mb": _peak_mb(), "job": job.pk}


def phase_worker(job_id: int) -> dict[str, object]:
    _setup()
    from elicitation.models import PolisImport, Vote
    from elicitation.polis import jobs

    baseline = _peak_mb()
    started = time.perf_counter()
    jobs.polis_import_execute(job_id=job_id)
    seconds = time.perf_counter() - started
    job = PolisImport.objects.get(pk=job_id)
    votes = Vote.objects.filter(statement__space=job.space).count() if job.space else 0
    result = {
        "seconds": seconds,
        "baseline_mb": baseline,
        "peak_mb": _peak_mb(),
        "status": job.status,
        "error": job.error,
        "votes": votes,
    }
    community, user = job.community, job.requested_by
    if job.space:
        job.space.delete()
    community.delete()
    user.delete()
    return result


def _run(*args: str) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=REPO
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--votes", type=int, default=1_800_000)
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--phase", choices=["web", "worker"])
    parser.add_argument("--dir")
    parser.add_argument("--job", type=int)
    options = parser.parse_args()
    if options.phase == "web":
        print(json.dumps(phase_web(Path(options.dir))))
        return
    if options.phase == "worker":
        print(json.dumps(phase_worker(options.job)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_export(folder, comments=options.comments, votes=options.votes)
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1024 / 1024
        web = _run("--phase", "web", "--dir", tmp)
        worker = _run("--phase", "worker", "--job", str(web["job"]))
    print(f"upload: {size:.1f} MB ({options.votes} votes, {options.comments} comments)")
    print(f"{'process':<8} {'seconds':>8} {'baseline MB':>12} {'peak MB':>8}  outcome")
    print(
        f"{'web':<8} {web['seconds']:>8.2f} {web['baseline_mb']:>12.0f} {web['peak_mb']:>8.0f}"
        "  stored, job queued"
    )
    print(
        f"{'worker':<8} {worker['seconds']:>8.2f} {worker['baseline_mb']:>12.0f} "
        f"{worker['peak_mb']:>8.0f}  {worker['status']}, {worker['votes']} latest votes "
        f"{worker['error']}"
    )


if __name__ == "__main__":
    main()
