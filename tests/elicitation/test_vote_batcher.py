"""The vote writer's batcher: votes arriving while one is written are written together."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from django.db import DatabaseError

from elicitation.services import TokenVote, TokenVoteInput, VoteBatcher

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def lane_vote(token: str, statement: int) -> TokenVoteInput:
    return TokenVoteInput(1, token, statement, 1, f"signed-{token}")


class SlowWriter:
    """Holds its first write until released; records every batch."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, int]]] = []
        self.release = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, batch: list[TokenVoteInput]) -> list[TokenVote | None]:
        with self.lock:
            self.batches.append([(v.anon_token, v.statement_number) for v in batch])
            first = len(self.batches) == 1
        if first:
            assert self.release.wait(10)
        # Each vote's result names its own statement, so mix-ups would show.
        return [TokenVote(v.statement_number, NOW, created=True, changed=True) for v in batch]


def start_casts(
    batcher: VoteBatcher, votes: list[TokenVoteInput]
) -> tuple[list[threading.Thread], dict[int, TokenVote | None]]:
    """One thread per vote casting it; each result lands under its vote's index."""
    results: dict[int, TokenVote | None] = {}
    threads = [
        threading.Thread(target=lambda i=i, v=v: results.__setitem__(i, batcher.cast(v)))
        for i, v in enumerate(votes)
    ]
    for thread in threads:
        thread.start()
    return threads, results


def run_concurrently(
    batcher: VoteBatcher, votes: list[TokenVoteInput]
) -> dict[int, TokenVote | None]:
    threads, results = start_casts(batcher, votes)
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    return results


def wait_for_queue(batcher: VoteBatcher, size: int) -> None:
    for _ in range(1000):
        with batcher._lock:
            if len(batcher._queue) >= size:
                return
        threading.Event().wait(0.005)
    raise AssertionError("votes did not queue")


def start_a_held_write(writer: SlowWriter, batcher: VoteBatcher) -> threading.Thread:
    """A first vote whose write the writer holds: later votes queue behind it."""
    first = threading.Thread(target=lambda: batcher.cast(lane_vote("a", 0)))
    first.start()
    for _ in range(1000):
        if writer.batches:
            return first
        threading.Event().wait(0.005)
    raise AssertionError("the first write did not start")


def test_votes_arriving_during_a_write_go_out_together_with_their_own_results() -> None:
    writer = SlowWriter()
    batcher = VoteBatcher(writer)
    first = start_a_held_write(writer, batcher)
    threads, results = start_casts(batcher, [lane_vote(f"p{i}", i + 1) for i in range(5)])
    wait_for_queue(batcher, 5)
    writer.release.set()
    first.join(10)
    for thread in threads:
        thread.join(10)
    assert writer.batches[0] == [("a", 0)]
    assert sorted(writer.batches[1]) == sorted((f"p{i}", i + 1) for i in range(5))
    assert len(writer.batches) == 2
    assert {i: r.participant_number for i, r in results.items() if r} == {
        i: i + 1 for i in range(5)
    }


def test_a_participants_two_votes_on_one_statement_go_in_separate_batches() -> None:
    writer = SlowWriter()
    batcher = VoteBatcher(writer)
    first = start_a_held_write(writer, batcher)
    same = [lane_vote("b", 7), lane_vote("b", 7), lane_vote("c", 7)]
    done: list[threading.Thread] = []
    for vote in same:
        thread = threading.Thread(target=batcher.cast, args=(vote,))
        thread.start()
        done.append(thread)
    wait_for_queue(batcher, 3)
    writer.release.set()
    first.join(10)
    for thread in done:
        thread.join(10)
    later = writer.batches[1:]
    assert all(batch.count(("b", 7)) <= 1 for batch in later)
    assert sum(batch.count(("b", 7)) for batch in later) == 2
    assert sum(len(batch) for batch in writer.batches) == 4


def test_a_failed_write_sends_its_votes_to_the_full_path_and_the_next_write_goes_on() -> None:
    calls: list[int] = []

    def flaky(batch: list[TokenVoteInput]) -> list[TokenVote | None]:
        calls.append(len(batch))
        if len(calls) == 1:
            raise DatabaseError("server closed the connection unexpectedly")
        return [TokenVote(1, NOW, created=True, changed=True) for _ in batch]

    batcher = VoteBatcher(flaky)
    assert batcher.cast(lane_vote("a", 1)) is None
    result = batcher.cast(lane_vote("a", 1))
    assert result is not None
    assert result.changed
    assert calls == [1, 1]


def test_many_concurrent_votes_each_get_exactly_their_result() -> None:
    def echo(batch: list[TokenVoteInput]) -> list[TokenVote | None]:
        threading.Event().wait(0.002)  # a write takes a moment: others queue meanwhile
        return [TokenVote(v.statement_number, NOW, created=True, changed=True) for v in batch]

    batcher = VoteBatcher(echo, max_batch=8)
    votes = [lane_vote(f"p{i}", i) for i in range(60)]
    results = run_concurrently(batcher, votes)
    assert {i: r.participant_number for i, r in results.items() if r} == {i: i for i in range(60)}
    assert not batcher._busy
    assert batcher._queue == []


def test_a_write_that_raises_anything_still_sends_its_votes_to_the_full_path() -> None:
    def broken(batch: list[TokenVoteInput]) -> list[TokenVote | None]:
        raise RuntimeError("a bug in the writer")

    batcher = VoteBatcher(broken)
    assert batcher.cast(lane_vote("a", 1)) is None
    assert not batcher._busy
