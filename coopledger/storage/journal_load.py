"""beancount's loader for many small journal files, with one parser for them all.

`loader.load_file` gives each file it parses a parser of its own, whose builder
starts from a deep copy of beancount's default options: about 0.3 ms a file,
more than parsing a one-entry file takes. With one file per entry, the open
month holds one file per trade, and that copy was most of the gate's time
(docs/performance.md, "One file per entry").

`load_file(top)` gives what `loader.load_file(top)` gives: the same entries
(each with its own file name and line number), the same errors, the same
options but one: the display context (`options_map["dcontext"]`) knows only
the numbers of `top` itself. It serves to print numbers back as they were
written, which coopledger never does, and keeping it cost about a
twentieth of a cold check. `top` is parsed by beancount as it is, its `include` lines expanded
as the loader expands them; the files they name are parsed one by one by
beancount's own C parser (each file a run of its own: nothing of one file's
text can reach the next, an unfinished entry or string stops at the end of
its file), into one builder instead of one each, and then booked,
transformed by the plugins and validated as the loader does.

The files are given to beancount's C parser (`_parser.Parser`, the one
`parser.parse_file` uses) with a builder of ours: beancount has no public way
to give many files one builder, and a version of beancount that changed that
parser would fail tests/test_journal_load.py before any cooperative is read.

A builder is shared only while no file uses a directive whose effect depends
on the file it is in (`pushtag`, `poptag`, `pushmeta`, `popmeta`, `option`,
`include`, `plugin`): the builder itself says when the grammar met one, so a
word in a narration does not count. Then, or when a file is not a plain
regular file (a link, a folder, a fifo), is named twice or by a glob that
matches nothing, `load_file` returns None and the caller uses beancount's
loader: what it reads is exactly what beancount reads, only faster.

The proof is in tests/test_journal_load.py: random files (broken lines,
unfinished strings, postings without their transaction, files without a last
newline, directives) loaded both ways give the same entries, lines, errors.
"""

from __future__ import annotations

import contextlib
import gc
import glob
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from beancount import loader
from beancount.core import amount, data, interpolate
from beancount.ops import validation
from beancount.parser import _parser, booking, grammar, parser  # type: ignore[attr-defined]

Loaded = tuple[list[data.Directive], list[Any], dict[str, Any]]
_GLOB_CHARACTERS = ("*", "?", "[")  # the loader would read such a name as a pattern
_ENCRYPTED_SUFFIXES = (".gpg", ".asc")  # the loader would decrypt such a file first


class _SharedBuilder(grammar.Builder):
    """beancount's builder, noting the directives whose effect is bound to their file."""

    def __init__(self) -> None:
        super().__init__()
        self.file_scoped = False

    def _dcupdate(self, number: Any, currency: Any) -> None:
        """The display context (how the numbers read were written, to print them
        back alike) is not kept: coopledger prints nothing with it."""

    def pushtag(self, filename: str, lineno: int, tag: str) -> None:
        self.file_scoped = True
        super().pushtag(filename, lineno, tag)

    def poptag(self, filename: str, lineno: int, tag: str) -> None:
        self.file_scoped = True
        super().poptag(filename, lineno, tag)

    def pushmeta(self, filename: str, lineno: int, key_value: Any) -> None:
        self.file_scoped = True
        super().pushmeta(filename, lineno, key_value)

    def popmeta(self, filename: str, lineno: int, key: str) -> None:
        self.file_scoped = True
        super().popmeta(filename, lineno, key)

    def option(self, filename: str, lineno: int, key: str, value: Any) -> None:
        self.file_scoped = True
        super().option(filename, lineno, key, value)

    def include(self, filename: str, lineno: int, include_filename: str) -> None:
        self.file_scoped = True
        super().include(filename, lineno, include_filename)

    def plugin(self, filename: str, lineno: int, plugin_name: str, plugin_config: Any) -> None:
        self.file_scoped = True
        super().plugin(filename, lineno, plugin_name, plugin_config)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a journal is read and checked.

    Reading makes millions of objects that live on (entries, postings, amounts,
    days), none in a cycle, and the collector would go over all of them again
    and again as they pile up: a fifth of a cold check's time at 100,000 trades
    (docs/performance.md, "A cold check"). What is freed is freed as before,
    when its last reference goes; a cycle made meanwhile waits for the next
    collection after the read."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def load_file(filename: str) -> Loaded | None:
    """What `loader.load_file(filename)` gives (`filename` absolute and
    normalised), or None when only beancount's loader can say (see above)."""
    if (
        not os.path.isabs(filename)
        or os.path.normpath(filename) != filename
        or "$" in filename  # the loader expands variables in the name first
        or filename.endswith(_ENCRYPTED_SUFFIXES)
        or not os.path.isfile(filename)  # the loader says it does not exist
    ):
        return None
    entries, errors, options_map = parser.parse_file(filename)
    files = _included(filename, options_map["include"])
    if files is None:
        return None
    builder = _SharedBuilder()
    reader = _parser.Parser(builder)
    for name in files:
        if not _parse_into(reader, builder, name):
            return None
        entries.extend(builder.entries)
        builder.entries = []
    _, more_errors, file_options = builder.finalize()
    errors.extend(more_errors)
    options_map["include"] = sorted({filename, *files})
    options_map = loader.aggregate_options_map(options_map, [file_options])
    return _booked_and_checked(entries, errors, options_map)


def _included(top: str, includes: Sequence[str]) -> list[str] | None:
    """The files `top`'s include lines name, in the loader's order: each line's
    glob, expanded as the loader expands it (a name with no glob character
    needs no listing: it is the file). None when a line matches nothing, a
    file comes twice, or one is an encrypted file: the loader says so itself."""
    folder = os.path.dirname(top)
    seen = {top}
    files = []
    for include in includes:
        pattern = include if os.path.isabs(include) else os.path.join(folder, include)
        if any(c in pattern for c in _GLOB_CHARACTERS):
            matched = glob.glob(pattern, recursive=True)
        else:
            matched = [pattern] if os.path.lexists(pattern) else []
        if not matched:
            return None
        for name in matched:
            name = os.path.normpath(os.path.join(folder, name))
            if name in seen or name.endswith(_ENCRYPTED_SUFFIXES):
                return None
            seen.add(name)
            files.append(name)
    return files


def _parse_into(reader: Any, builder: _SharedBuilder, name: str) -> bool:
    """Parse the file `name` into `builder`; False when it is not a plain regular
    file or holds a directive bound to its file (then nothing of it is kept)."""
    try:  # a link is not followed, a fifo does not block; the loader will say
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return False
    with open(fd, "rb") as handle:
        reader.parse(handle, filename=name, lineno=1)
    return not builder.file_scoped


def _booked_and_checked(
    entries: list[data.Directive], errors: list[Any], options_map: dict[str, Any]
) -> Loaded:
    """The loader's steps after parsing (`loader._load`): sort, book, run the
    plugins (with `insert_pythonpath`'s folders first on Python's path, as the
    loader does; coopledger refuses that option anyway), validate."""
    entries.sort(key=data.entry_sortkey)
    entries, balance_errors = _booked(entries, options_map)
    errors.extend(balance_errors)
    saved_path = list(sys.path)
    try:
        if "pythonpath" in options_map:
            sys.path[0:0] = options_map["pythonpath"]
        entries, errors = loader.run_transformations(entries, errors, options_map, None)
    finally:
        sys.path[:] = saved_path
    errors.extend(validation.validate(entries, options_map, None, None))
    options_map["input_hash"] = loader.compute_input_hash(options_map["include"])
    return entries, errors, options_map


def _booked(
    entries: list[data.Directive], options_map: dict[str, Any]
) -> tuple[list[data.Directive], list[Any]]:
    """What `booking.book(entries, options_map)` gives, quicker when no transaction
    has anything to book: every posting has its number and currency, one
    currency for all, no cost, no price. Then booking keeps each transaction's
    postings as they are and adds only its tolerances to its metadata, which
    depend on each posting's currency and number of decimals alone: beancount
    computes them once for each such shape. One transaction with anything to
    book (a cost, a missing number...) and beancount books them all, since a
    lot is booked against the balance of every posting before it. (Booking was
    over a quarter of a cold check's time: docs/performance.md, "A cold check".)"""
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    if not all(_nothing_to_book(t) for t in transactions):
        return booking.book(entries, options_map)
    tolerances_of_shape: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}
    booked: list[data.Directive] = []
    for entry in entries:
        if isinstance(entry, data.Transaction):
            shape = tuple(
                (p.units.currency, p.units.number.as_tuple().exponent)  # type: ignore[union-attr]
                for p in entry.postings
            )
            tolerances = tolerances_of_shape.get(shape)
            if tolerances is None:
                tolerances = interpolate.infer_tolerances(entry.postings, options_map, mode="max")
                tolerances_of_shape[shape] = tolerances
            meta = entry.meta.copy()
            meta[interpolate.AUTOMATIC_TOLERANCES] = dict(tolerances)
            entry = entry._replace(meta=meta)
        booked.append(entry)
    return booked, []


def _nothing_to_book(transaction: data.Transaction) -> bool:
    currencies = set()
    for posting in transaction.postings:
        units = posting.units
        if (
            posting.cost is not None
            or posting.price is not None
            or not isinstance(units, amount.Amount)
            or not isinstance(units.number, Decimal)
            or not isinstance(units.currency, str)
            or (posting.meta and interpolate.AUTOMATIC_META in posting.meta)
        ):
            return False
        currencies.add(units.currency)
    return len(currencies) <= 1
