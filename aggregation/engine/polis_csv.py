"""The Pol.is export files, read strictly into columns: the project's one parser.

Pol.is (compdemocracy) exports a conversation as CSV files:

- comments.csv: timestamp (epoch ms), comment-id, author-id, moderated
  (1 accepted, 0 pending, -1 rejected), comment-body, and optionally is-meta,
  is-seed (and summaries such as agrees/disagrees, which are not read);
- votes.csv: the full vote history, one row per vote: timestamp (epoch ms),
  comment-id, voter-id, vote (1 agree, -1 disagree, 0 pass);
- participants-votes.csv: the latest votes, one row per participant and one
  column per comment id, plus optional xid and group-id columns;
- summary.csv: key,value lines (topic, conversation-description, ...).

`polis_parse` reads them (bytes, or binary file objects read as a stream)
into NumPy columns and plain Python for the texts. Everything is checked and
the first problem, in file order, raises PolisFormatError naming the file,
line and column, e.g. ``votes.csv, line 4, column 5 (vote): vote '7' is not
1 (agree), -1 (disagree) or 0 (pass)``. Nothing here knows Django: the
analyze_polis command reads a folder through `read_polis_folder`, the
importer (elicitation.polis) parses uploads and writes what this returns.

Rows are parsed by the standard csv module (quoting, embedded line breaks)
and converted a block of rows at a time: the cells of a column go through
`int` in one `np.fromiter` call, and the range and reference checks are
array comparisons, so a 1M-row votes.csv is read in about 2 s rather than the
5 s of per-row checks. Only when a block holds a bad cell are its cells
looked at one by one, to name the first one.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import gc
import io
import itertools
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Required, TypedDict

import numpy as np
from numpy.typing import NDArray

from .votes import EngineInputError

COMMENTS = "comments.csv"
VOTES = "votes.csv"
PARTICIPANTS_VOTES = "participants-votes.csv"
SUMMARY = "summary.csv"

# Ids land in PositiveIntegerField columns of the platform.
MAX_ID = 2_147_483_647
# Timestamps in milliseconds between 1970 and 9999.
MAX_TIMESTAMP_MS = 253_402_300_799_999
MAX_XID = 200
# Rows (or, for the wide participants-votes.csv, cells) converted at a time:
# large enough that per-block overhead vanishes, small enough that a block's
# strings stay a few tens of MB.
BLOCK_ROWS = 65_536
BLOCK_CELLS = 2_000_000

NUL_PROBLEM = (
    "a NUL character (byte 0x00) cannot be stored as text; "
    "if the file was saved as UTF-16, save it as UTF-8"
)

_TRUE = frozenset({"true", "t", "1", "yes"})
_FALSE = frozenset({"false", "f", "0", "no", ""})

Source = bytes | IO[bytes]


class PolisFiles(TypedDict, total=False):
    """An export's files as `polis_parse` keyword arguments: bytes, or binary
    file objects read once as a stream (and left open)."""

    comments: Required[Source]
    votes: Source | None
    participants_votes: Source | None
    summary: Source | None


class PolisFormatError(EngineInputError):
    """An export file that cannot be read; says which file, line and column."""

    def __init__(
        self, file: str, problem: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.problem}"


# Dataclasses that hold arrays set eq=False: == on arrays is element-wise.
@dataclass(frozen=True, eq=False)
class Comments:
    """comments.csv in file order; `author` is -1 where the cell is empty."""

    number: NDArray[np.int64]
    author: NDArray[np.int64]
    text: list[str]
    moderated: NDArray[np.int8]
    is_meta: NDArray[np.bool_]
    is_seed: NDArray[np.bool_]
    timestamp_ms: NDArray[np.int64]
    line: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.number.shape[0])


@dataclass(frozen=True, eq=False)
class Votes:
    """Votes in file order: export sign (1 agree, -1 disagree, 0 pass).

    `timestamp_ms` is None for votes read from participants-votes.csv, which
    has no times.
    """

    participant: NDArray[np.int64]
    comment: NDArray[np.int64]
    value: NDArray[np.int8]
    timestamp_ms: NDArray[np.int64] | None

    def __len__(self) -> int:
        return int(self.value.shape[0])


@dataclass(frozen=True, eq=False)
class ParticipantsVotes:
    """participants-votes.csv: every participant listed (file order) and their votes."""

    participants: NDArray[np.int64]
    votes: Votes
    xids: dict[int, str]
    # Pol.is's opinion group per listed participant (None: not grouped); None
    # when the file has no group-id column.
    groups: dict[int, int | None] | None


@dataclass(frozen=True, eq=False)
class PolisConversation:
    comments: Comments
    # The full history (votes.csv, in file order) or, without it, the latest
    # votes from participants-votes.csv.
    votes: Votes
    has_history: bool
    # Sorted: everyone who voted, authored a comment or is listed in
    # participants-votes.csv.
    participants: NDArray[np.int64]
    # Everyone participants-votes.csv lists (file order; empty without it).
    listed: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    xids: dict[int, str] = field(default_factory=dict)
    groups: dict[int, int | None] = field(default_factory=dict)
    topic: str = ""
    description: str = ""

    def latest_votes(self) -> Votes:
        """The vote that counts per (participant, comment): the latest timestamp,
        then the later line; the rows kept stay in file order."""
        rows = latest_rows(self.votes)
        votes = self.votes
        return Votes(
            participant=votes.participant[rows],
            comment=votes.comment[rows],
            value=votes.value[rows],
            timestamp_ms=None if votes.timestamp_ms is None else votes.timestamp_ms[rows],
        )


def latest_rows(votes: Votes) -> NDArray[np.int64]:
    """Rows (file order) of the latest vote per (participant, comment)."""
    n = len(votes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # Ids are below 2**31 (checked), so the pair fits one int64.
    pair = (votes.participant << 31) | votes.comment
    line = np.arange(n)
    keys = (line, pair) if votes.timestamp_ms is None else (line, votes.timestamp_ms, pair)
    order = np.lexsort(keys)
    ordered = pair[order]
    last = np.flatnonzero(np.append(ordered[1:] != ordered[:-1], True))
    return np.sort(order[last])


# --- Reading text ---------------------------------------------------------------


def _text_stream(source: Source) -> io.TextIOWrapper:
    raw: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    # utf-8-sig tolerates the byte-order mark spreadsheet programs add;
    # newline="" leaves line breaks inside quoted fields to the csv module.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _undecodable(source: Source, file: str) -> PolisFormatError:
    """Where the first byte that is not UTF-8 sits: line and CSV column."""
    if isinstance(source, bytes):
        data = source
    elif source.seekable():
        source.seek(0)
        data = source.read()
    else:
        return PolisFormatError(file, "the file is not UTF-8 text; save the file as UTF-8")
    try:
        codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        prefix = data[line_start:start].decode("utf-8", errors="replace")
        fields = next(csv.reader([prefix]), [""])
        return PolisFormatError(
            file,
            f"byte 0x{data[start]:02x} is not UTF-8 text; save the file as UTF-8",
            line=line,
            column=str(max(len(fields), 1)),
        )
    return PolisFormatError(file, "the file is not UTF-8 text; save the file as UTF-8")


def _column_label(header: Sequence[str], index: int) -> str:
    name = header[index] if index < len(header) else ""
    return f"{index + 1} ({name})" if name else str(index + 1)


class _Block:
    """Rows of a table (each with its first line number), checked a column at a time."""

    def __init__(self, table: _Table, rows: list[list[str]], lines: list[int]) -> None:
        self.table = table
        self.rows = rows
        self.lines = lines
        self._columns: list[tuple[str, ...]] | None = None
        self._ints: dict[str, NDArray[np.int64]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def head(self, n: int) -> _Block:
        return _Block(self.table, self.rows[:n], self.lines[:n])

    def column(self, name: str) -> tuple[str, ...]:
        if self._columns is None:
            self._columns = list(zip(*self.rows, strict=True)) or [()] * len(self.table.header)
        return self._columns[self.table.index[name]]

    def texts(self, name: str) -> list[str]:
        return [cell.strip() for cell in self.column(name)]

    def fail(self, row: int, name: str | int, problem: str) -> PolisFormatError:
        index = self.table.index[name] if isinstance(name, str) else name
        return PolisFormatError(
            self.table.file,
            problem,
            line=self.lines[row],
            column=_column_label(self.table.header, index),
        )

    def integers(
        self, name: str, *, minimum: int = 0, maximum: int = MAX_ID, empty: int | None = None
    ) -> NDArray[np.int64]:
        """The named column as whole numbers in [minimum, maximum].

        An empty cell is refused, or becomes `empty` when that is given.
        """
        key = f"{name}:{minimum}:{maximum}:{empty}"
        if key in self._ints:
            return self._ints[key]
        cells = self.column(name)
        if empty is not None:
            cells = tuple(cell if cell.strip() else str(empty) for cell in cells)
        values, bad = _to_ints(cells)
        if bad is not None:
            text = cells[bad].strip()
            problem = f"{text!r} is not a whole number" if text else "a number is required here"
            raise self.fail(bad, name, problem)
        in_range = (values >= minimum) & (values <= maximum)
        if empty is not None:
            in_range |= values == empty
        outside = np.flatnonzero(~in_range)
        if outside.size:
            row = int(outside[0])
            raise self.fail(row, name, f"{values[row]} is outside {minimum}..{maximum}")
        self._ints[key] = values
        return values

    def booleans(self, name: str) -> NDArray[np.bool_]:
        """true/false cells (also t/f, 1/0, yes/no; empty is false); absent column: all false."""
        if name not in self.table.index:
            return np.zeros(len(self), dtype=bool)
        lowered = [cell.lower() for cell in self.texts(name)]
        for row, cell in enumerate(lowered):
            if cell not in _TRUE and cell not in _FALSE:
                raise self.fail(row, name, f"{self.texts(name)[row]!r} is not true or false")
        return np.fromiter((cell in _TRUE for cell in lowered), dtype=bool, count=len(lowered))

    def votes(self, name: str) -> NDArray[np.int8]:
        """The named column as votes: 1, -1 or 0."""
        values = self.integers(name, minimum=-(2**62), maximum=2**62)
        invalid = np.flatnonzero((values < -1) | (values > 1))
        if invalid.size:
            row = int(invalid[0])
            raise self.fail(row, name, _bad_vote(self.column(name)[row].strip()))
        return values.astype(np.int8)

    def known_comments(self, name: str, known: NDArray[np.int64], what: str) -> None:
        """Every number of the column must be a comment id of comments.csv (`known`, sorted)."""
        unknown = np.flatnonzero(~_isin_sorted(self.integers(name), known))
        if unknown.size:
            row = int(unknown[0])
            number = int(self.integers(name)[row])
            raise self.fail(row, name, what.format(number=number))

    def unique(self, name: str, what: str, earlier: dict[int, int]) -> None:
        """No number of the column twice, in this block or in `earlier` ({number: line})."""
        seen = dict(earlier)
        for row, number in enumerate(self.integers(name).tolist()):
            if number in seen:
                raise self.fail(
                    row, name, f"{what} {number} appears twice (first on line {seen[number]})"
                )
            seen[number] = self.lines[row]


def _bad_vote(text: str) -> str:
    return f"vote {text!r} is not 1 (agree), -1 (disagree) or 0 (pass)"


def _isin_sorted(values: NDArray[np.int64], known: NDArray[np.int64]) -> NDArray[np.bool_]:
    if not known.size:
        return np.zeros(values.size, dtype=bool)
    where = np.minimum(np.searchsorted(known, values), known.size - 1)
    return known[where] == values


def _to_ints(cells: Sequence[str]) -> tuple[NDArray[np.int64], int | None]:
    """(values, None), or (empty, index of the first cell that is not a whole number).

    `int` accepts the spaces around a number that cells may have.
    """
    try:
        return np.fromiter(map(int, cells), dtype=np.int64, count=len(cells)), None
    except (ValueError, OverflowError):
        pass
    for row, cell in enumerate(cells):
        try:
            value = int(cell)
        except ValueError:
            return np.zeros(0, dtype=np.int64), row
        if not -(2**63) <= value < 2**63:
            return np.zeros(0, dtype=np.int64), row
    raise AssertionError("unreachable: some cell failed to convert above")


def _check_in_file_order(block: _Block, checks: Sequence[Callable[[_Block], object]]) -> None:
    """Run a block's checks so that the problem reported is the first in the file.

    The checks are listed in the order a row's cells are read; each raises
    for its own first bad row. Once one fails at row r, the later checks only
    look at the rows before r: a problem further up wins, and on row r itself
    the check listed first does.
    """
    error: PolisFormatError | None = None
    current = block
    for check in checks:
        try:
            check(current)
        except PolisFormatError as exc:
            error = exc
            current = block.head(bisect.bisect_left(block.lines, exc.line or 0))
            if not len(current):
                break
    if error is not None:
        raise error


class _Table:
    """A CSV file with a checked header, read as blocks of rows."""

    def __init__(self, source: Source, file: str, *, required: Sequence[str]) -> None:
        self.file = file
        self._source = source
        self._text: io.TextIOWrapper | None = _text_stream(source)
        self._reader = csv.reader(self._text, strict=True)
        try:
            self._read_header(required)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Let go of the caller's file without closing it (a TextIOWrapper would)."""
        if self._text is not None and not isinstance(self._source, bytes):
            self._text.detach()
        self._text = None

    def _read_header(self, required: Sequence[str]) -> None:
        file = self.file
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            raise PolisFormatError(file, f"unreadable header ({exc})", line=1) from None
        except UnicodeDecodeError:
            raise _undecodable(self._source, file) from None
        if not header or not any(cell.strip() for cell in header):
            raise PolisFormatError(file, "the file is empty (no header line)", line=1)
        self.header = [cell.strip() for cell in header]
        self._refuse_nul([header], [1])
        seen: dict[str, int] = {}
        for index, name in enumerate(self.header):
            if name in seen:
                raise PolisFormatError(
                    file,
                    f"duplicate header {name!r} (also column {seen[name] + 1})",
                    line=1,
                    column=_column_label(self.header, index),
                )
            seen[name] = index
        self.index = seen
        missing = [name for name in required if name not in seen]
        if missing:
            raise PolisFormatError(
                file,
                f"missing column(s) {', '.join(repr(m) for m in missing)}; "
                f"the header has {', '.join(self.header)}",
                line=1,
                column=", ".join(missing),
            )

    def _refuse_nul(self, rows: list[list[str]], lines: list[int]) -> None:
        """No cell may hold a NUL character: a database text column cannot store one.

        One join per block finds out whether any cell has one (cheap next to
        the csv parsing); only then are the rows searched, to name the first.
        """
        if "\x00" not in "".join(itertools.chain.from_iterable(rows)):
            return
        for row, line in zip(rows, lines, strict=True):
            for index, cell in enumerate(row):
                if "\x00" in cell:
                    label = _column_label(self.header, index)
                    raise PolisFormatError(
                        self.file,
                        NUL_PROBLEM,
                        line=line + cell.count("\n", 0, cell.index("\x00")),
                        column=str(index + 1) if "\x00" in label else label,
                    )

    def blocks(self, rows_per_block: int | None = None) -> Iterator[_Block]:
        """Blocks of rows; blank lines are skipped, a row of the wrong width refused."""
        rows_per_block = rows_per_block or BLOCK_ROWS
        width = len(self.header)
        rows: list[list[str]] = []
        lines: list[int] = []
        line = 2
        reader = self._reader
        # The csv module makes a list and strings per row, none of them in a
        # reference cycle, yet their number sets off the cyclic collector's
        # full passes over everything alive: pausing it while reading halved
        # the time of a 1M-row votes.csv (25 s to 13 s on a loaded machine).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for row in reader:
                start, line = line, reader.line_num + 1
                if len(row) != width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    raise PolisFormatError(
                        self.file,
                        f"{len(row)} fields where the header has {width}",
                        line=start,
                        column=str(min(len(row), width) + 1),
                    )
                rows.append(row)
                lines.append(start)
                if len(rows) == rows_per_block:
                    self._refuse_nul(rows, lines)
                    yield _Block(self, rows, lines)
                    rows, lines = [], []
            if rows:
                self._refuse_nul(rows, lines)
                yield _Block(self, rows, lines)
        except csv.Error as exc:
            raise PolisFormatError(self.file, str(exc), line=line) from None
        except UnicodeDecodeError:
            raise _undecodable(self._source, self.file) from None
        finally:
            if collecting:
                gc.enable()
            self.close()


def _cat(parts: Sequence[NDArray[Any]], dtype: type[Any]) -> NDArray[Any]:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)


# --- The four files -------------------------------------------------------------


def parse_comments(source: Source, *, max_text: int | None = None) -> Comments:
    """comments.csv; comment texts longer than `max_text` characters are refused."""
    table = _Table(
        source,
        COMMENTS,
        required=("timestamp", "comment-id", "author-id", "moderated", "comment-body"),
    )

    def texts(block: _Block) -> None:
        for row, text in enumerate(block.texts("comment-body")):
            # Kept as written (line breaks included), only trimmed: an import
            # must give back the text it was given.
            if not text:
                raise block.fail(row, "comment-body", "the comment text is empty")
            if max_text is not None and len(text) > max_text:
                raise block.fail(
                    row,
                    "comment-body",
                    f"the comment is {len(text)} characters; at most {max_text} fit",
                )

    parts: list[Comments] = []
    first_line: dict[int, int] = {}
    for block in table.blocks():
        _check_in_file_order(
            block,
            [
                lambda b: b.integers("comment-id"),
                lambda b: b.unique("comment-id", "comment", first_line),
                lambda b: b.integers("author-id", empty=-1),
                lambda b: b.integers("moderated", minimum=-1, maximum=1),
                texts,
                lambda b: b.booleans("is-meta"),
                lambda b: b.booleans("is-seed"),
                lambda b: b.integers("timestamp", maximum=MAX_TIMESTAMP_MS),
            ],
        )
        numbers = block.integers("comment-id")
        first_line.update(zip(numbers.tolist(), block.lines, strict=True))
        parts.append(
            Comments(
                number=numbers,
                author=block.integers("author-id", empty=-1),
                text=block.texts("comment-body"),
                moderated=block.integers("moderated", minimum=-1, maximum=1).astype(np.int8),
                is_meta=block.booleans("is-meta"),
                is_seed=block.booleans("is-seed"),
                timestamp_ms=block.integers("timestamp", maximum=MAX_TIMESTAMP_MS),
                line=np.array(block.lines, dtype=np.int64),
            )
        )
    return Comments(
        number=_cat([c.number for c in parts], np.int64),
        author=_cat([c.author for c in parts], np.int64),
        text=[text for c in parts for text in c.text],
        moderated=_cat([c.moderated for c in parts], np.int8),
        is_meta=_cat([c.is_meta for c in parts], np.bool_),
        is_seed=_cat([c.is_seed for c in parts], np.bool_),
        timestamp_ms=_cat([c.timestamp_ms for c in parts], np.int64),
        line=_cat([c.line for c in parts], np.int64),
    )


def parse_votes(source: Source, comment_ids: NDArray[np.int64]) -> Votes:
    """votes.csv; every comment-id must be one of `comment_ids` (sorted)."""
    table = _Table(source, VOTES, required=("timestamp", "comment-id", "voter-id", "vote"))
    unknown = f"comment {{number}} is not in {COMMENTS}"
    parts: list[Votes] = []
    for block in table.blocks():
        _check_in_file_order(
            block,
            [
                lambda b: b.integers("comment-id"),
                lambda b: b.known_comments("comment-id", comment_ids, unknown),
                lambda b: b.integers("voter-id"),
                lambda b: b.votes("vote"),
                lambda b: b.integers("timestamp", maximum=MAX_TIMESTAMP_MS),
            ],
        )
        parts.append(
            Votes(
                participant=block.integers("voter-id"),
                comment=block.integers("comment-id"),
                value=block.votes("vote"),
                timestamp_ms=block.integers("timestamp", maximum=MAX_TIMESTAMP_MS),
            )
        )
    return Votes(
        participant=_cat([v.participant for v in parts], np.int64),
        comment=_cat([v.comment for v in parts], np.int64),
        value=_cat([v.value for v in parts], np.int8),
        timestamp_ms=_cat([v.timestamp_ms for v in parts if v.timestamp_ms is not None], np.int64),
    )


def parse_participants_votes(source: Source, comment_ids: NDArray[np.int64]) -> ParticipantsVotes:
    """participants-votes.csv: one column per comment id (all-digit headers).

    The other columns (group-id, n-votes, ...) are summaries, of which xid
    and group-id are kept. A vote in the column of a comment that
    comments.csv lacks is refused; an empty column of one is not.
    """
    table = _Table(source, PARTICIPANTS_VOTES, required=("participant",))
    columns = [i for i, name in enumerate(table.header) if name.isdigit()]
    column_comment = np.array([int(table.header[i]) for i in columns], dtype=np.int64)
    column_known = _isin_sorted(column_comment, comment_ids)
    listed: list[NDArray[np.int64]] = []
    parts: list[Votes] = []
    first_line: dict[int, int] = {}
    xids: dict[int, str] = {}
    xid_lines: dict[str, int] = {}
    groups: dict[int, int | None] | None = {} if "group-id" in table.index else None

    def xid_check(block: _Block) -> None:
        if "xid" not in table.index:
            return
        seen = dict(xid_lines)
        for row, xid in enumerate(block.texts("xid")):
            if not xid:
                continue
            if len(xid) > MAX_XID:
                raise block.fail(row, "xid", f"xid longer than {MAX_XID} characters")
            if xid in seen:
                raise block.fail(
                    row, "xid", f"xid {xid!r} appears twice (first on line {seen[xid]})"
                )
            seen[xid] = block.lines[row]

    def group_check(block: _Block) -> None:
        if "group-id" in table.index:
            block.integers("group-id", empty=-1)

    def cells(block: _Block) -> None:
        _wide_votes(block, columns, column_comment, column_known)

    for block in table.blocks(max(1, min(BLOCK_ROWS, BLOCK_CELLS // len(table.header)))):
        _check_in_file_order(
            block,
            [
                lambda b: b.integers("participant"),
                lambda b: b.unique("participant", "participant", first_line),
                xid_check,
                group_check,
                cells,
            ],
        )
        people = block.integers("participant")
        first_line.update(zip(people.tolist(), block.lines, strict=True))
        if "xid" in table.index:
            for person, xid, line in zip(
                people.tolist(), block.texts("xid"), block.lines, strict=True
            ):
                if xid:
                    xids[person] = xid
                    xid_lines[xid] = line
        if groups is not None:
            for person, group in zip(
                people.tolist(), block.integers("group-id", empty=-1).tolist(), strict=True
            ):
                groups[person] = None if group < 0 else group
        listed.append(people)
        parts.append(_wide_votes(block, columns, column_comment, column_known))
    votes = Votes(
        participant=_cat([v.participant for v in parts], np.int64),
        comment=_cat([v.comment for v in parts], np.int64),
        value=_cat([v.value for v in parts], np.int8),
        timestamp_ms=None,
    )
    return ParticipantsVotes(_cat(listed, np.int64), votes, xids, groups)


def _wide_votes(
    block: _Block,
    columns: list[int],
    column_comment: NDArray[np.int64],
    column_known: NDArray[np.bool_],
) -> Votes:
    """The filled vote cells of a block, row by row and in column order within a row."""
    empty = np.zeros(0, dtype=np.int64)
    if not columns or not len(block):
        return Votes(empty, empty, empty.astype(np.int8), None)
    pick = operator.itemgetter(*columns)
    picked = (
        [pick(row) for row in block.rows]
        if len(columns) > 1
        else [(pick(row),) for row in block.rows]
    )
    cells = np.char.strip(np.array(picked, dtype=str))
    filled_row, filled_col = np.nonzero(cells != "")
    texts = cells[filled_row, filled_col].tolist()
    values, bad = _to_ints(texts)
    if bad is not None:
        values = np.zeros(len(texts), dtype=np.int64)
        values[bad:] = 7  # a stand-in outside -1..1 from the first bad cell on
    invalid = np.flatnonzero((values < -1) | (values > 1))
    unknown = np.flatnonzero(~column_known[filled_col])
    # Cells are in file order (row-major): the lowest index is the first problem.
    problems = [int(found[0]) for found in (unknown, invalid) if found.size]
    if problems:
        at = min(problems)
        row, col = int(filled_row[at]), int(filled_col[at])
        if unknown.size and at == int(unknown[0]):
            problem = f"a vote on comment {column_comment[col]}, which is not in {COMMENTS}"
        elif at == bad:
            problem = f"{texts[at]!r} is not a whole number"
        else:
            problem = _bad_vote(texts[at])
        raise block.fail(row, columns[col], problem)
    people = block.integers("participant")
    return Votes(
        participant=people[filled_row],
        comment=column_comment[filled_col],
        value=values.astype(np.int8),
        timestamp_ms=None,
    )


def parse_summary(source: Source) -> dict[str, str]:
    """summary.csv is key,value lines (no header); values may span several lines."""
    text = _text_stream(source)
    reader = csv.reader(text, strict=True)
    out: dict[str, str] = {}
    try:
        start = 1
        for row in reader:
            for index, cell in enumerate(row):
                if "\x00" in cell:
                    before = "\n".join([*row[:index], cell[: cell.index("\x00")]])
                    raise PolisFormatError(
                        SUMMARY,
                        NUL_PROBLEM,
                        line=start + before.count("\n") - index,
                        column=str(index + 1),
                    )
            start = reader.line_num + 1
            if len(row) >= 2 and row[0].strip():
                out[row[0].strip()] = row[1].strip()
    except csv.Error as exc:
        raise PolisFormatError(SUMMARY, str(exc), line=reader.line_num) from None
    except UnicodeDecodeError:
        raise _undecodable(source, SUMMARY) from None
    finally:
        if not isinstance(source, bytes):
            text.detach()
    return out


def polis_parse(
    *,
    comments: Source,
    votes: Source | None = None,
    participants_votes: Source | None = None,
    summary: Source | None = None,
    max_text: int | None = None,
) -> PolisConversation:
    """Parse an export; votes.csv (history) wins over participants-votes.csv (latest only).

    With both, participants-votes.csv is still checked and adds its xids,
    groups and the participants it lists who never voted. Comment texts
    longer than `max_text` characters are refused.
    """
    if votes is None and participants_votes is None:
        raise PolisFormatError(VOTES, f"{VOTES} or {PARTICIPANTS_VOTES} is required")
    parsed_comments = parse_comments(comments, max_text=max_text)
    comment_ids = np.sort(parsed_comments.number)
    wide = (
        parse_participants_votes(participants_votes, comment_ids)
        if participants_votes is not None
        else None
    )
    history = parse_votes(votes, comment_ids) if votes is not None else None
    meta = parse_summary(summary) if summary is not None else {}
    chosen = history if history is not None else wide.votes  # type: ignore[union-attr]
    authors = parsed_comments.author[parsed_comments.author >= 0]
    everyone = [chosen.participant, authors]
    if wide is not None:
        everyone.append(wide.participants)
    return PolisConversation(
        comments=parsed_comments,
        votes=chosen,
        has_history=history is not None,
        participants=np.unique(np.concatenate(everyone)),
        listed=wide.participants if wide is not None else np.zeros(0, dtype=np.int64),
        xids=wide.xids if wide is not None else {},
        groups=(wide.groups or {}) if wide is not None else {},
        topic=meta.get("topic", ""),
        description=meta.get("conversation-description", ""),
    )


@contextmanager
def open_export_folder(folder: Path) -> Iterator[PolisFiles]:
    """The files of an export folder, open for reading (absent optional files are None)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PolisFormatError(str(folder), "this is not a folder")
    paths = {name: folder / name for name in (COMMENTS, VOTES, PARTICIPANTS_VOTES, SUMMARY)}
    if not paths[COMMENTS].is_file():
        raise PolisFormatError(str(folder), f"the folder has no {COMMENTS}")
    if not paths[VOTES].is_file() and not paths[PARTICIPANTS_VOTES].is_file():
        raise PolisFormatError(
            str(folder), f"the folder has neither {VOTES} nor {PARTICIPANTS_VOTES}"
        )
    with ExitStack() as stack:

        def open_file(name: str) -> IO[bytes] | None:
            path = paths[name]
            return stack.enter_context(path.open("rb")) if path.is_file() else None

        comments = open_file(COMMENTS)
        assert comments is not None
        yield {
            "comments": comments,
            "votes": open_file(VOTES),
            "participants_votes": open_file(PARTICIPANTS_VOTES),
            "summary": open_file(SUMMARY),
        }


def read_polis_folder(folder: Path) -> PolisConversation:
    """Parse an export folder (files are read as streams, not loaded whole)."""
    with open_export_folder(folder) as files:
        return polis_parse(**files)
