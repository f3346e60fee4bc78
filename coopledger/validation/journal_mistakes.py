"""Mistakes people make writing the journal by hand, told in their own terms.

beancount's parser says "syntax error, unexpected COLON" or "ValueError: Invalid
number format: '2,00'"; a member needs to hear what they wrote and how to write
it. `explained` turns a parser error (a `beancount` problem) into one of ours
when the line shows a known mistake:

    >>> explained_line("Invalid token: 'alice'", "  Assets:Members:alice  -2.00 SEL")
    ('journal-account-case', {'account': 'Assets:Members:alice', 'fixed': 'Assets:Members:Alice'})
    >>> explained_line("Invalid number format: '2,00'", "  Assets:Members:Bob  2,00 SEL")[1]
    {'number': '2,00', 'fixed': '2.00'}
    >>> explained_line("syntax error, unexpected NUMBER", '01/12/2026 * "jam"')[1]
    {'date': '01/12/2026', 'fixed': '2026-12-01'}
    >>> explained_line("syntax error, unexpected ACCOUNT", "Assets:Members:Bob 2 SEL")[0]
    'journal-posting-not-indented'
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

from coopledger.model.problems import Problem

_ACCOUNT = re.compile(r"(?<![\w:])([A-Za-z][\w-]*(?::[\w-]+)+)")
_NUMBER = re.compile(r"Invalid number format: '([^']*)'")
_SLASHED_DATE = re.compile(r"\s*([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})\b")
_UNINDENTED = re.compile(r"(Assets|Liabilities|Equity|Income|Expenses):")
MAX_LINE = 4096  # characters of a line looked at


def explained_line(message: str, line: str) -> tuple[str, dict[str, str]] | None:
    """(code, params) of the mistake `line` shows, given the parser's `message`; or None."""
    line = line[:MAX_LINE]
    number = _NUMBER.search(message)
    if number and "," in number.group(1):
        written = number.group(1)
        fixed = written.replace(".", "").replace(",", ".")
        return "journal-decimal-comma", {"number": written, "fixed": fixed}
    dated = _SLASHED_DATE.match(line)
    if dated:
        day, month, year = (int(part) for part in dated.groups())
        try:
            fixed = datetime.date(year, month, day).isoformat()
        except ValueError:
            fixed = f"{year:04d}-MM-DD"
        return "journal-date-format", {"date": dated.group().strip(), "fixed": fixed}
    if _UNINDENTED.match(line) and "unexpected" in message:
        return "journal-posting-not-indented", {"posting": line.strip()}
    for found in _ACCOUNT.finditer(line):
        account = found.group(1)
        parts = account.split(":")
        if any(not part[:1].isupper() for part in parts):
            fixed = ":".join(part[:1].upper() + part[1:] for part in parts)
            return "journal-account-case", {"account": account, "fixed": fixed}
    return None


def explained(problems: list[Problem], root: Path) -> list[Problem]:
    """`problems` with each parser error on a journal line that shows a known mistake
    told as that mistake (once per line)."""
    lines: dict[str, list[str]] = {}
    result: list[Problem] = []
    seen: set[tuple[str | None, int | None, str]] = set()
    for problem in problems:
        if problem.code == "beancount" and problem.file and problem.line:
            text = _line(root, problem.file, problem.line, lines)
            found = explained_line(str(problem.params.get("message", "")), text) if text else None
            if found is not None:
                code, params = found
                if (problem.file, problem.line, code) in seen:
                    continue
                seen.add((problem.file, problem.line, code))
                problem = Problem(code, problem.file, problem.line, params)
        result.append(problem)
    return result


def _line(root: Path, file: str, number: int, cache: dict[str, list[str]]) -> str | None:
    """Line `number` of the journal file `file` (a regular file under journal/ only)."""
    if file not in cache:
        cache[file] = []
        path = root / file
        if file.startswith("journal/") and ".." not in Path(file).parts:
            try:
                if os.path.isfile(path) and not os.path.islink(path):
                    cache[file] = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                pass
    text = cache[file]
    return text[number - 1] if 0 < number <= len(text) else None
