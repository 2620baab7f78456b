"""Topics and summaries of a run: deterministic, every sentence citing real statements; the
optional language-model summary against a scripted OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import Client

from aggregation import llm, services
from aggregation.models import AnalysisRun
from elicitation.models import Statement
from tests.aggregation.conftest import analysed, published
from tests.aggregation.data import populate
from tests.factories import SpaceFactory

pytestmark = pytest.mark.django_db

TEXTS = [
    "Every neighbourhood should have a park within a ten-minute walk.",
    "Parks should stay open until late in the summer.",
    "We should plant more trees along our streets and in the parks.",
    "Playgrounds in the parks should be renovated.",
    "Cars should be banned from the town centre on weekends.",
    "Speed limits near schools should be lowered.",
    "Cycling lanes should be separated from car traffic.",
    "Buses should run every ten minutes in the town centre.",
]


def _space_with_texts() -> Any:
    space = SpaceFactory.create()
    d = populate(space, statements=len(TEXTS))
    for statement, text in zip(d.statements, TEXTS, strict=True):
        Statement.objects.filter(pk=statement.pk).update(text=text, normalized_text=text.lower())
    return space


def _result(run: AnalysisRun) -> dict[str, Any]:
    assert run.result is not None
    return dict(run.result)


def _sentences(summaries: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(summaries["space"])
    for part in ("groups", "topics"):
        for item in summaries[part]:
            out += item["sentences"]
    return out


def test_topics_and_summaries_are_deterministic_and_every_sentence_cites() -> None:
    space = _space_with_texts()

    first = _result(analysed(space))
    second = _result(analysed(space))

    assert first["topics"] == second["topics"]
    assert first["summaries"] == second["summaries"]
    numbers = {int(n) for n, e in first["statements"].items() if e["in_profile"]}
    topics = first["topics"]["items"]
    assert len(topics) == 2
    assert sorted(n for t in topics for n in t["statements"]) == sorted(numbers)
    assert all(t["label"] for t in topics)
    sentences = _sentences(first["summaries"])
    assert first["summaries"]["machine_made"] is True
    assert len(sentences) >= 3
    for sentence in sentences:
        assert sentence["cites"], sentence
        assert set(sentence["cites"]) <= numbers
        for n in sentence["cites"][:3]:
            assert f"#{n}" in sentence["text"] or "statements" in sentence["text"]


def test_the_topics_group_statements_by_meaning() -> None:
    space = _space_with_texts()

    topics = _result(analysed(space))["topics"]["items"]

    by_text = {
        tuple(sorted(Statement.objects.get(space=space, number=n).text for n in t["statements"]))
        for t in topics
    }
    parks = tuple(sorted(TEXTS[:4]))
    traffic = tuple(sorted(TEXTS[4:]))
    assert by_text == {parks, traffic}


def test_a_run_does_not_wait_for_many_statements_to_be_embedded(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As after a large Pol.is import: more statements lack an embedding than a
    # run embeds itself, so it has no topics, says how many are pending and
    # hands them to the worker; the next run, once they are embedded, has topics.
    from elicitation.models import StatementEmbedding

    space = _space_with_texts()
    StatementEmbedding.objects.filter(statement__space=space).delete()
    settings.RUN_INLINE_EMBED_MAX = len(TEXTS) - 1
    handed: list[int] = []
    monkeypatch.setattr("elicitation.services.statements_embed_later", handed.append)

    first = _result(analysed(space))

    assert first["topics"] is None
    assert first["topics_pending"] == len(TEXTS)
    assert handed == [space.pk]
    assert not StatementEmbedding.objects.filter(statement__space=space).exists()
    published(space)
    page = client.get(f"/s/{space.pk}/report/").content.decode()
    assert "still being read" in page

    settings.RUN_INLINE_EMBED_MAX = len(TEXTS)
    second = _result(analysed(space))

    assert "topics_pending" not in second
    assert len(second["topics"]["items"]) == 2


def test_the_report_shows_topics_and_summaries_with_links_to_the_cited_statements(
    client: Client,
) -> None:
    space = _space_with_texts()
    published(space)

    page = client.get(f"/s/{space.pk}/report/").content.decode()

    assert "Topics" in page
    assert "Machine-made summary" in page
    cited = re.findall(rf'href="/s/{space.pk}/statements/(\d+)/"', page)
    assert cited


# --- The language-model path ---------------------------------------------------------


class _ScriptedChat(BaseHTTPRequestHandler):
    """An OpenAI-compatible /v1/chat/completions answering with the class's `reply`."""

    reply = ""
    status = 200
    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).requests.append(
            {"path": self.path, "body": json.loads(self.rfile.read(length) or b"{}")}
        )
        body = json.dumps(
            {"choices": [{"message": {"role": "assistant", "content": type(self).reply}}]}
        ).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def chat_server(settings: Any) -> Iterator[type[_ScriptedChat]]:
    _ScriptedChat.requests = []
    _ScriptedChat.status = 200
    server = HTTPServer(("127.0.0.1", 0), _ScriptedChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.LLM_BASE_URL = f"http://127.0.0.1:{server.server_port}/v1"
    settings.LLM_MODEL = "scripted"
    yield _ScriptedChat
    server.shutdown()
    server.server_close()


def test_uncited_and_invented_sentences_are_dropped_and_counted(
    chat_server: type[_ScriptedChat],
) -> None:
    space = _space_with_texts()
    run = analysed(space)
    numbers = sorted(int(n) for n, e in _result(run)["statements"].items() if e["in_profile"])
    a, b = numbers[0], numbers[1]
    chat_server.reply = (
        f"Most people want a park close to home [#{a}]. "
        "Everyone loves the town. "
        f"The groups split on traffic [#{b}, #{a}]. "
        "Residents demand a new stadium [#999]."
    )

    stored = services.run_summarise_abstractive(run_id=run.pk)

    assert stored is True
    assert chat_server.requests[0]["path"] == "/v1/chat/completions"
    prompt = chat_server.requests[0]["body"]["messages"][1]["content"]
    assert f"#{a}: " in prompt
    summary = _result(AnalysisRun.objects.get(pk=run.pk))["summaries"]["abstractive"]
    assert summary["machine_made"] is True
    assert summary["dropped"] == 2
    assert [s["text"] for s in summary["sentences"]] == [
        f"Most people want a park close to home [#{a}].",
        f"The groups split on traffic [#{b}, #{a}].",
    ]
    assert summary["sentences"][1]["cites"] == sorted({a, b})
    # A retried task asks no second time.
    assert services.run_summarise_abstractive(run_id=run.pk) is False
    assert len(chat_server.requests) == 1


def test_a_failing_endpoint_raises_for_the_task_to_retry(
    chat_server: type[_ScriptedChat],
) -> None:
    run = analysed(_space_with_texts())
    chat_server.status = 500

    with pytest.raises(llm.LLMError):
        services.run_summarise_abstractive(run_id=run.pk)

    assert "abstractive" not in _result(AnalysisRun.objects.get(pk=run.pk))["summaries"]


def test_without_an_endpoint_nothing_is_asked(settings: Any) -> None:
    settings.LLM_BASE_URL = ""
    run = analysed(_space_with_texts())

    assert services.run_summarise_abstractive(run_id=run.pk) is False


def test_the_profile_json_carries_the_topics_and_validates(client: Client) -> None:
    import jsonschema

    from aggregation import profiles

    space = _space_with_texts()
    profile = published(space)

    body = client.get(f"/api/v1/spaces/{space.pk}/profiles/latest/").json()

    jsonschema.validate(body, profiles.json_schema())
    assert body["topics"] == profile.content["topics"]
    assert len(body["topics"]) == 2
    listed = sorted(n for t in body["topics"] for n in t["statements"])
    assert listed == sorted(v["statement"] for v in body["values"])
    assert all(g["letter"] in ("A", "B") for t in body["topics"] for g in t["groups"])


def test_machine_summaries_are_offered_for_review_and_never_published_by_themselves() -> None:
    from aggregation.models import ValueProfile
    from communities.roles import Role
    from tests.aggregation.conftest import member_of

    space = _space_with_texts()
    run = analysed(space)
    facilitator = member_of(space, Role.FACILITATOR)
    draft = ValueProfile.objects.get(run=run)
    client = Client()
    client.force_login(facilitator)

    page = client.get(f"/profiles/{draft.pk}/review/").content.decode()
    published_profile = published(space, by=facilitator)

    first = _result(run)["summaries"]["space"][0]["text"]
    assert "machine-made summary" in page
    assert first.replace("“", "&ldquo;")[:20] in page or first[:20] in page
    assert published_profile.content["summary"] is None
