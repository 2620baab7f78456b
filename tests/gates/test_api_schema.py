"""Gate: schemathesis drives every operation of the OpenAPI document, as a member and as a facilitator.

Every response must be no server error and must match what the document says
for its status (status code, content type, headers, body schema); bodies that
break the schema must be refused. The cases are generated from the document
itself (hypothesis, derandomised so that a failure repeats), against
`config.wsgi.application` (the vote lane included), in a world with real objects
behind every path parameter: most cases use the ids of that world, the rest
the ids schemathesis invents.

Bounded in time: POLYPHONY_API_FUZZ_SECONDS (default 45) per persona, shared
equally by the operations; POLYPHONY_API_FUZZ_EXAMPLES (default 15) positive
and as many negative cases per operation at most. Every finding, known or not,
is written to var/artifacts/api-schema-<persona>.txt.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from aggregation import services as aggregation_services
from aggregation.models import AnalysisRun, ValueProfile
from communities.models import Invitation
from communities.roles import Role
from communities.services import api_token_create
from tests.aggregation.data import populate
from tests.conftest import wait_for
from tests.factories import CommunityFactory, MembershipFactory, SpaceFactory, UserFactory
from tests.requirements import missing

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = settings.VAR_DIR / "artifacts"
FUZZ_SECONDS = float(os.environ.get("POLYPHONY_API_FUZZ_SECONDS", "45"))
FUZZ_EXAMPLES = int(os.environ.get("POLYPHONY_API_FUZZ_EXAMPLES", "15"))


@dataclass
class World:
    """Real objects for every path parameter of the document, and two personas' tokens."""

    path: dict[str, Any]
    tokens: dict[str, str]


def _api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code < 300, (response.status_code, response.content[:500])
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
def world() -> World:
    community = CommunityFactory.create(slug="gate", name="Gate town")
    space = SpaceFactory.create(
        community=community, participation="link", title="Gate space", ranking_size=3
    )
    deliberation = populate(space, participants=12, statements=6, accounts=2)
    facilitator = UserFactory.create(username="gate-facilitator")
    member = UserFactory.create(username="gate-member")
    MembershipFactory.create(user=facilitator, community=community, role=Role.FACILITATOR)
    member_ship = MembershipFactory.create(user=member, community=community, role=Role.MEMBER)
    _, facilitator_key = api_token_create(user=facilitator, name="gate")
    token, member_key = api_token_create(user=member, name="gate")
    as_facilitator, as_member = _api(facilitator_key), _api(member_key)

    base = f"/api/v1/spaces/{space.pk}"
    _ok(as_member.post(f"{base}/votes/", {"statement": 1, "value": 1}, format="json"))
    argument = _ok(
        as_member.post(
            f"{base}/statements/1/arguments/",
            {"stance": "for", "text": "It keeps the town honest."},
            format="json",
        )
    )
    flag = _ok(
        as_member.post(f"{base}/flags/", {"statement": 2, "reason": "Off topic"}, format="json")
    )
    invitation = _ok(
        as_facilitator.post("/api/v1/communities/gate/invitations/", {}, format="json")
    )
    question = _ok(
        as_facilitator.post(
            "/api/v1/communities/gate/segment-questions/",
            {"label": "Where do you live?", "choices": ["North", "South"]},
            format="json",
        )
    )
    run = _ok(as_facilitator.post(f"{base}/runs/"))
    aggregation_services.run_execute(run_id=run["id"])
    # A live worker of the session may have claimed it first: either way it ends.
    assert wait_for(
        lambda: AnalysisRun.objects.get(pk=run["id"]).status == AnalysisRun.Status.SUCCEEDED,
        timeout=120,
    ), AnalysisRun.objects.get(pk=run["id"]).error
    profile = ValueProfile.objects.get(run_id=run["id"])
    _ok(as_facilitator.post(f"/api/v1/profiles/{profile.pk}/publish/"))
    assert deliberation.space.pk == space.pk
    return World(
        path={
            "slug": community.slug,
            "space_id": space.pk,
            "number": 1,
            "argument_id": argument["id"],
            "flag_id": flag["id"],
            "invitation_id": invitation["id"],
            "token": Invitation.objects.get(pk=invitation["id"]).token,
            "membership_id": member_ship.pk,
            "question_id": question["id"],
            "run_id": run["id"],
            "profile_id": profile.pk,
            "version": 1,
            "token_id": token.pk,
            "language": "de",
        },
        tokens={"member": member_key, "facilitator": facilitator_key},
    )


@dataclass
class Finding:
    operation: str
    check: str
    status: int
    title: str
    message: str
    body: str
    count: int = 0


@dataclass
class Findings:
    by_key: dict[tuple[str, str, int, str], Finding] = field(default_factory=dict)
    cases: int = 0
    operations: int = 0

    def add(self, operation: str, failure: Any, response: Any) -> None:
        status = int(response.status_code)
        body = bytes(response.content[:300]).decode("utf-8", "replace")
        check = str(getattr(failure, "check_name", None) or type(failure).__name__)
        title = str(getattr(failure, "title", "") or "")
        message = str(getattr(failure, "message", "") or str(failure))
        # One finding per operation, check, status and kind of message (ids and
        # generated values differ from case to case).
        kind = re.sub(r"'[^']*'|\d+", "_", message.splitlines()[0] if message else title)[:120]
        key = (operation, check, status, kind)
        finding = self.by_key.setdefault(
            key, Finding(operation, check, status, title, message, body)
        )
        finding.count += 1


# Findings of the outside audit of 30 November that branch i15a is fixing,
# matched precisely; each entry names the finding. Remove an entry when its fix
# lands: the gate then holds the fix in place.
KNOWN: list[tuple[str, Callable[[Finding], bool]]] = [
    # Held in place since their fixes landed: the HTML 404 under /api/, 403
    # instead of 401 for a bad token, the literal `some_field` in the 400 body.
]


def _known(finding: Finding) -> str | None:
    return next((name for name, matches in KNOWN if matches(finding)), None)


def _token_client_document() -> dict[str, Any]:
    """The served OpenAPI document, as seen by a client that authenticates with a token.

    Operations accept a session cookie or a token; the personas here use their
    API token, so the cookie alternative is left out (schemathesis would
    otherwise invent a session cookie and count the token's success against it).
    """
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    # Revoking a token with a generated id sometimes hits the persona's own
    # token, and every later case then answers 401 for a reason of the test's
    # making. Revocation is tested in tests/communities (test_api, accounts).
    document["paths"]["/api/v1/me/tokens/{token_id}/"].pop("delete", None)
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "security" in operation:
                operation["security"] = [
                    alternative
                    for alternative in operation["security"]
                    if "cookieAuth" not in alternative
                ]
    return document


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _fuzz(persona: str, world: World) -> Findings:
    try:
        import schemathesis
    except ImportError:
        missing("needs schemathesis (a dev dependency): run `make venv`")
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.core.failures import Failure, FailureGroup
    from schemathesis.specs.openapi.checks import (
        negative_data_rejection,
        positive_data_acceptance,
    )

    from config.wsgi import application

    schema = schemathesis.openapi.from_dict(_token_client_document())
    schema.app = application
    headers = {"Authorization": f"Token {world.tokens[persona]}"}
    # The server applies rules a schema cannot state (a name already taken, a
    # membership the persona lacks: 400 for schema-valid data), and pagination
    # falls back to its defaults on a malformed `limit` as DRF documents: these
    # two checks would flag correct behaviour. Every other built-in check runs.
    excluded = [positive_data_acceptance, negative_data_rejection]
    operations = list(_operations(schema))
    findings = Findings(operations=len(operations))
    started = time.monotonic()
    runs_left = 2 * len(operations)

    def fuzz(operation: Any, strategy: Any) -> None:
        # Each operation and mode gets an equal share of the time left; the
        # number of cases is sized from the time a case has taken so far, so
        # that no time goes into generating cases that would not be sent.
        nonlocal runs_left
        elapsed = time.monotonic() - started
        share = max(0.0, FUZZ_SECONDS - elapsed) / max(1, runs_left)
        runs_left -= 1
        per_case = elapsed / findings.cases if findings.cases else 0.05
        examples = max(1, min(FUZZ_EXAMPLES, int(share / per_case)))
        deadline = time.monotonic() + max(share, per_case)

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            if time.monotonic() > deadline:
                return
            findings.cases += 1
            response = case.call()
            try:
                case.validate_response(response, excluded_checks=excluded)
            except FailureGroup as group:
                for failure in group.exceptions:
                    findings.add(operation.label, failure, response)
            except Failure as failure:
                findings.add(operation.label, failure, response)

        # Unsatisfiable: no case of this kind exists (a negative case of an
        # operation whose every input is fixed); the other mode covers it.
        with contextlib.suppress(Unsatisfiable):
            run()

    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        real = {name: world.path[name] for name in names if name in world.path}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [
                operation.as_strategy(generation_mode=mode, path_parameters=real, headers=headers)
            ]
            if real:
                strategies.append(operation.as_strategy(generation_mode=mode, headers=headers))
            fuzz(operation, st.one_of(strategies))
    return findings


def _report(findings: list[Finding], *, lines_each: int = 6) -> str:
    lines = []
    for f in findings:
        first = f.message.strip().splitlines()[:lines_each]
        lines.append(f"{f.operation} -> {f.status} [{f.check}] x{f.count}: {f.title}")
        lines.extend(f"    {line}" for line in first)
        lines.append(f"    body: {f.body[:200]!r}")
    return "\n".join(lines)


@pytest.mark.parametrize("persona", ["member", "facilitator"])
def test_every_operation_answers_as_documented_and_never_with_a_server_error(
    persona: str, world: World
) -> None:
    findings = _fuzz(persona, world)
    all_findings = list(findings.by_key.values())
    unknown = [f for f in all_findings if _known(f) is None]
    summary = (
        f"{persona}: {findings.cases} cases over {findings.operations} operations, "
        f"{len(all_findings)} distinct findings ({len(unknown)} not yet known)"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"api-schema-{persona}.txt").write_text(
        summary + "\n\n" + _report(all_findings, lines_each=40) + "\n"
    )
    print(summary)
    assert findings.cases >= findings.operations, "the time budget left operations untested"
    assert not unknown, f"{len(unknown)} findings as {persona}:\n{_report(unknown)}"
    known = sorted({name for f in all_findings if (name := _known(f))})
    if known:
        pytest.xfail("known audit findings, being fixed on branch i15a: " + "; ".join(known))
