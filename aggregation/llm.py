"""An optional abstractive summary from a language model, checked against what was said.

Only when LLM_BASE_URL names an OpenAI-compatible chat endpoint (a local
llama.cpp or vLLM server, say). The model gets the same evidence as the
extractive summaries (aggregation.sensemaking): the statements with their
numbers and figures, and the extractive sentences. It is asked to cite the
statement numbers each sentence rests on as [#n]. Its reply is then checked
sentence by sentence: a sentence that cites no statement, or cites a number
that is not in the evidence, is dropped and counted. What survives is stored
with the run, labelled machine-made, and shown on the report; it reaches a
published profile only through a facilitator.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aggregation.naming import group_letter
from aggregation.results import StoredResult

_CITE = re.compile(r"#(\d+)")
# A sentence ends at . ! or ? followed by white space (or the end), not inside "#12.".
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

SYSTEM_PROMPT = (
    "You summarise what a community said in a deliberation. Use only the evidence given. "
    "Write at most six short sentences in plain English. After every claim, cite the "
    "statement numbers it rests on in square brackets, like [#4] or [#4, #7]. Never cite a "
    "number that is not in the evidence, and never state a figure the evidence does not give."
)


class LLMError(RuntimeError):
    """The endpoint could not be reached or gave no usable answer."""


@dataclass
class CheckedSummary:
    sentences: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def evidence(result: StoredResult, texts: Mapping[int, str], numbers: Sequence[int]) -> str:
    """The statements with their figures and the extractive sentences, as the prompt gives them."""
    lines = ["Statements (number: text; share who agree overall and per group):"]
    for n in numbers:
        entry = result.statements[n]
        rate = entry["agree_rate"]
        groups = ", ".join(
            f"group {group_letter(g['group'])} {g['agree_rate'] * 100:.0f}%"
            for g in entry["groups"]
            if g["agree_rate"] is not None
        )
        overall = "no votes" if rate is None else f"{rate * 100:.0f}% agree"
        lines.append(f"#{n}: {texts[n]} ({overall}{'; ' + groups if groups else ''})")
    summaries = result.summaries
    extractive = [s["text"] for s in summaries.get("space", [])]
    for g in summaries.get("groups", []):
        extractive += [s["text"] for s in g["sentences"]]
    if extractive:
        lines += ["", "What the figures already say:", *extractive]
    return "\n".join(lines)


def check(reply: str, known: set[int]) -> CheckedSummary:
    """Keep the sentences that cite at least one statement and only statements in `known`."""
    out = CheckedSummary()
    for sentence in _SENTENCE_END.split(reply.strip()):
        sentence = " ".join(sentence.split())
        if not sentence:
            continue
        cites = [int(n) for n in _CITE.findall(sentence)]
        if cites and set(cites) <= known:
            out.sentences.append({"text": sentence, "cites": sorted(set(cites))})
        else:
            out.dropped.append(sentence)
    return out


def chat(*, base_url: str, model: str, api_key: str, prompt: str, timeout_s: int) -> str:
    """One chat completion (POST {base_url}/chat/completions); the reply's text."""
    body = json.dumps(
        {
            "model": model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
            ],
            "temperature": 0,
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    request = urllib.request.Request(
        f"{base_url}/chat/completions", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            payload = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise LLMError(f"the language model at {base_url} did not answer: {exc}") from exc
    try:
        return str(payload["choices"][0]["message"]["content"])
    except (KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"the language model at {base_url} sent no chat answer") from exc
