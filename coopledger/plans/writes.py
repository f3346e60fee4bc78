"""The checked-write path: every write is judged here before it is planned.

A plan function (`changes.plan_trade`, `invoice_plans.plan_invoice`,
`corrections.plan_reverse`, `fees.plan_apply_rules`, `csvio.plan_import`...)
formats the entries it adds, then asks this module two things:

- `append_entries(root, path, entry_text, old)`: the file's new text and the
  entries parsed with the lines they will have once written (the future-line
  arithmetic, written once);
- `check_write(coop, new_entries, refusal, **params)`: the ledger checked as it
  would be after the write (`checks.check_ledger`, the very checks of
  `coopledger check`), the problems it did not have before sorted once; errors
  refuse the write with `CoopError(refusal, problems=...)`, warnings are
  returned for the change to carry.

Nothing here touches the disk but to read the file a write appends to.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from beancount.core import data
from beancount.parser import parser

from coopledger.model.members import Roster
from coopledger.model.problems import CoopError, Param, Problem
from coopledger.model.rules import Rules
from coopledger.storage import journal_text
from coopledger.validation.checks import check_ledger

if TYPE_CHECKING:
    from coopledger.storage.store import Cooperative

UNTRUSTED_CODES = {"beancount", "conflict-marker", "missing-file"}


def usable(coop: Cooperative) -> tuple[Rules, Roster]:
    """Rules and roster of a cooperative sound enough to write to, or CoopError."""
    blocking = [p for p in coop.problems if p.code in UNTRUSTED_CODES or p.code.startswith("yaml")]
    if coop.rules is None or coop.roster is None or blocking:
        raise CoopError("ledger-has-problems", problems=tuple(blocking or coop.errors))
    return coop.rules, coop.roster


def appended(old: str, entry_text: str) -> str:
    """`old` with `entry_text` after it, one blank line between, in the file's own
    newline and aligned as bean-format aligns (`journal_text.insert_entries`)."""
    return journal_text.appended(old, entry_text)


def parse_entries_at(entry_text: str, first_line: int, filename: str) -> list[data.Directive]:
    """The entries of `entry_text`, with the lines they will have in `filename`
    when it starts on `first_line`."""
    entries, errors, _ = parser.parse_string(entry_text, report_filename=filename)
    assert not errors, errors
    return [
        e._replace(meta={**e.meta, "lineno": e.meta["lineno"] + first_line - 1}) for e in entries
    ]


def parse_appended(new_text: str, entry_text: str, filename: str) -> list[data.Directive]:
    """The entries of `entry_text`, which ends `new_text` (maybe re-aligned), with
    the lines they will have in `filename`."""
    first_line = journal_text.first_line_of_last(new_text, entry_text)
    return parse_entries_at(entry_text, first_line, filename)


def read_text(root: Path, path: str) -> str:
    """The text of `path` under `root` as on disk, newlines kept; empty when there
    is no such file yet (`journal_text.read_journal`)."""
    return journal_text.read_journal(root / path)


def append_entries(
    root: Path, path: str, entry_text: str, old: str | None = None
) -> tuple[str, list[data.Directive]]:
    """The new text of `path` (`old`, else the file on disk, then `entry_text`)
    and the parsed entries appended, with their real lines."""
    new_text = appended(read_text(root, path) if old is None else old, entry_text)
    return new_text, parse_appended(new_text, entry_text, str(root / path))


def as_own_write(problem: Problem) -> Problem:
    """A problem of an entry the command is about to write, told as such: an entry
    it writes into a closed month was never there to "remove or restore"."""
    if problem.code != "closed-month-entry-added":
        return problem
    month = str(problem.params.get("month", ""))
    after: Param = ""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", month):
        year, number = int(month[:4]), int(month[5:])
        after = datetime.date(year + number // 12, number % 12 + 1, 1)
    return replace(problem, code="closed-month-write", params={**problem.params, "after": after})


def new_problems(
    coop: Cooperative, after: Iterable[Problem]
) -> tuple[list[Problem], list[Problem]]:
    """The errors and warnings of `after` the cooperative did not have, sorted,
    each told as the write's own (`as_own_write`)."""
    before = {p.key() for p in coop.problems}
    new = sorted((as_own_write(p) for p in after if p.key() not in before), key=Problem.sort_key)
    return [p for p in new if p.is_error], [p for p in new if not p.is_error]


class NeedsHistory(Exception):
    """A write the open period alone cannot judge (an entry dated `day`, in or
    before a closed month): the ledger plans it again on the whole history, which
    says what is wrong with it in the very words of a full read."""

    def __init__(self, day: datetime.date) -> None:
        super().__init__(day.isoformat())
        self.day = day


def within_open_period(coop: Cooperative, days: Iterable[datetime.date]) -> None:
    """NeedsHistory when only the open period was read (`coop.opening`) and a day
    of the write comes before it: that write is judged on every month."""
    if coop.opening is None:
        return
    early = [day for day in days if day < coop.opening.day]
    if early:
        raise NeedsHistory(min(early))


def problems_after(
    coop: Cooperative, new_entries: Sequence[data.Directive]
) -> tuple[list[Problem], list[Problem]]:
    """The new errors and warnings of the ledger with `new_entries` added: the
    checks of `coopledger check`, on the open period from the closes' balances
    and invoices when only it was read (`coop.opening`)."""
    rules, roster = usable(coop)
    within_open_period(coop, [e.date for e in new_entries])
    after = check_ledger(
        [*coop.entries, *new_entries], roster, rules, str(coop.root), opening=coop.opening
    )
    return new_problems(coop, after)


def check_write(
    coop: Cooperative, new_entries: Sequence[data.Directive], refusal: str, **params: str
) -> tuple[Problem, ...]:
    """The warnings of a write adding `new_entries`, or CoopError(`refusal`)
    with every new error."""
    errors, warnings = problems_after(coop, new_entries)
    if errors:
        raise CoopError(refusal, problems=tuple(errors), **params)  # type: ignore[arg-type]
    return tuple(warnings)


def entries_as_text(entry_texts: list[str]) -> str:
    """Entries as a new journal file would hold them, aligned as bean-format aligns
    (what `apply-rules --dry-run` shows)."""
    return journal_text.insert_entries("", entry_texts).text
