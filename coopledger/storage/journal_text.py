"""Putting entries into a journal file: the one insert primitive.

Every command that writes entries (trade, import, invoice, settle, reverse,
apply-rules) reads the file with `read_journal` and builds its new text with
`insert_entries`, as fava's `core/file.py` does:

- the file keeps its own newline: a file written with CRLF stays CRLF;
- the result is what `bean-format` would write: numbers aligned at one column
  per file (the widest account and the widest number of the file decide), so
  `bean-format` leaves every file coopledger wrote unchanged;
- a file that changed on disk between the read and the write is not
  overwritten: `store.apply` calls `ensure_unchanged`, which raises
  `ExternallyChangedError`.

    >>> text = insert_entries("2026-11-01 open Assets:A\\r\\n", ["2026-11-02 * \\"x\\"\\n"]).text
    >>> text
    '2026-11-01 open Assets:A\\r\\n\\r\\n2026-11-02 * "x"\\r\\n'

Only whitespace changes in the old lines (as bean-format's own check
asserts); the parsed entries, which the gate compares, stay the same.
"""

from __future__ import annotations

import collections
import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopledger.model.problems import CoopError

# What str.splitlines() (used by bean-format) ends a line at, besides "\n":
# a file holding one of them is not re-aligned (bean-format would turn them into "\n").
_OTHER_LINE_ENDS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")

_read: dict[str, str] = {}  # absolute path -> the text read_journal returned


class ExternallyChangedError(CoopError):
    """The file changed on disk after coopledger read it; nothing was written."""

    def __init__(self, path: str) -> None:
        super().__init__("file-changed-under-us", file=path, path=path)


def newline_of(text: str) -> str:
    """The file's own newline: the ending of its first line ("\\r\\n" or "\\n")."""
    end = text.find("\n")
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def read_journal(path: Path) -> str:
    """The text of `path` exactly as on disk ("" if it does not exist), newlines
    kept; remembered so that `ensure_unchanged` can tell a later change."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = ""
    _read[os.path.abspath(path)] = text
    return text


def ensure_unchanged(path: Path) -> None:
    """ExternallyChangedError if `path` was read by `read_journal` and differs now."""
    expected = _read.pop(os.path.abspath(path), None)
    if expected is None:
        return
    try:
        with open(path, encoding="utf-8", newline="", errors="replace") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = ""
    if current != expected:
        raise ExternallyChangedError(str(path))


# bean-format's patterns of an amount's number (beancount.scripts.format, which
# imports click: not imported for a write; tests/test_plain_text.py checks they agree)
NUMBER_RE = r"[-+]?\s*[\d,]+(?:\.\d*)?"
PARENTHESIZED_BINARY_OP_RE = rf"\({NUMBER_RE}\s*[-+*/]\s*{NUMBER_RE}\)"


# on ASCII text, beancount's Unicode classes of an account name are these
_ASCII_CLASSES = {r"\p{Lu}": "A-Z", r"\p{L}": "A-Za-z", r"\p{Nd}": "0-9"}


@functools.cache
def _patterns(ascii_only: bool = False) -> tuple[Any, Any]:
    """A line with an amount (prefix, number, rest), as bean-format finds it, and
    an indented account (indent, the rest), whose indent bean-format evens out.
    For ASCII text, the same patterns in Python's own `re` (compiled in a fourth
    of the time the `regex` module takes: a trade writes one entry)."""
    from beancount.core import account, amount

    account_re = account.ACCOUNT_RE
    if ascii_only:
        for unicode_class, ascii_class in _ASCII_CLASSES.items():
            account_re = account_re.replace(unicode_class, ascii_class)
    if ascii_only and "\\p{" not in account_re:
        compile_ = re.compile
    else:
        import regex  # beancount's own dependency, for its patterns

        account_re, compile_ = account.ACCOUNT_RE, regex.compile
    line = compile_(
        rf'(^\d[^";]*?|\s+{account_re})\s+'
        rf"({PARENTHESIZED_BINARY_OP_RE}|{NUMBER_RE})\s+"
        rf"((?:{amount.CURRENCY_RE})\b.*)"
    )
    return line, compile_(rf"([ \t]+)({account_re}.*)")


def _widths(text: str) -> tuple[int, int]:
    """The widest prefix (indent and account) and number of `text`'s amount lines,
    found as bean-format finds them."""
    line = _patterns(text.isascii())[0]
    prefix = number = 0
    for found in map(line.match, text.splitlines()):
        if found:
            prefix = max(prefix, len(found.group(1)))
            number = max(number, len(found.group(2)))
    return prefix, number


def _align(text: str, prefix_width: int, number_width: int) -> str | None:
    """`text` as bean-format's `align_beancount(text, prefix_width, number_width)`
    writes it (both widths given, not 0): every indented account at the indent
    most lines have (the widest of a tie), each amount line as prefix, two
    spaces, the number right-aligned, a space, the rest. None when more than
    whitespace would change (bean-format then refuses: it is asked)."""
    line, posting = _patterns(text.isascii())
    rows: list[tuple[str, str | None, str]] = []
    indents: collections.Counter[int] = collections.Counter()
    for each in text.splitlines():
        found = line.match(each)
        prefix, number, rest = found.groups() if found else (each, None, "")
        account = posting.match(prefix)
        if account is not None:
            indents[len(account.group(1))] += 1
        rows.append((prefix, number, rest))
    indent = " " * (max((count, width) for width, count in indents.items())[1] if indents else 0)
    lines = []
    for prefix, number, rest in rows:
        account = posting.match(prefix)
        if account is not None:
            prefix = indent + account.group(2)
        if number is None:
            lines.append(prefix + "\n")
        else:
            lines.append(f"{prefix.rstrip():<{prefix_width}}  {number:>{number_width}} {rest}\n")
    written = "".join(lines)
    spaces = re.compile(r"[ \t\n]+")
    if spaces.sub(" ", text.rstrip()) != spaces.sub(" ", written.rstrip()):
        return None
    return written


def forget_reads() -> None:
    """Drop what `read_journal` remembered (after a write, so nothing stale is kept)."""
    _read.clear()


def aligned(text: str, after: str = "") -> str:
    """`text` (with "\\n" newlines) as bean-format writes it, at the column of the
    file `after` it if that is wider; unchanged when bean-format could not keep
    its lines (a lone CR, a form feed...)."""
    if any(end in text for end in _OTHER_LINE_ENDS):
        return text
    prefix, number = map(max, zip(_widths(after), _widths(text), strict=True))
    if prefix and number:  # as bean-format would, without importing it (and click)
        written = _align(text, prefix, number)
        if written is not None:
            return written
    from beancount.scripts.format import align_beancount  # public, and slow to import

    return str(align_beancount(text, prefix or None, number or None))


@dataclass(frozen=True)
class Insertion:
    """The new text of a file and the line each inserted entry starts on."""

    text: str
    lines: tuple[int, ...]


def insert_entries(old: str, entry_texts: Sequence[str]) -> Insertion:
    """`old` with `entry_texts` appended after a blank line each, in the newline of
    `old`, aligned as bean-format aligns: at the column of `old` or, for wider
    entries, at theirs. The lines of `old` are never changed (a merge of two
    branches appending to one file keeps both, see docs/journal-format.md)."""
    newline = newline_of(old)
    text = old.replace("\r\n", "\n")
    body = "\n".join(entry.replace("\r\n", "\n").rstrip("\n") + "\n" for entry in entry_texts)
    body = aligned(body, text) if body else body
    lead = text.rstrip("\n") + "\n\n" if text.strip("\n") and body else text
    first = lead.count("\n") + 1
    lines, at = [], first
    for entry in entry_texts:
        lines.append(at)
        at += entry.replace("\r\n", "\n").rstrip("\n").count("\n") + 2
    text = lead + body
    if newline != "\n":
        text = text.replace("\n", newline)
    return Insertion(text, tuple(lines))


def appended(old: str, entry_text: str) -> str:
    """`old` with one entry appended (see `insert_entries`)."""
    return insert_entries(old, [entry_text]).text


def first_line_of_last(new_text: str, entry_text: str) -> int:
    """The line the last entry of `new_text` (`entry_text`, maybe re-aligned) starts on."""
    return new_text.count("\n") - entry_text.count("\n") + 1
