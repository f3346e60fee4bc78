"""Problems found in a cooperative's files, and failures of an operation.

A `Problem` is a value: a code that says what is wrong, where (file and line,
relative to the cooperative's root), and the facts needed to explain it. The
words shown to a user are chosen from the code by `coopledger.language.messages`, so the
core never builds sentences and messages can be translated.

Facts are typed values (`Param`): text (ids, names, codes of kinds), whole
numbers, `Decimal` amounts already at the currency's decimals, `datetime.date`s
and tuples of text (lists of ids). The renderer formats each one for the
reader's language: `Decimal("-520.00")` reads `-520.00` in English and
`-520,00` in French; a tuple is joined as the language joins lists.

    >>> from decimal import Decimal
    >>> p = Problem("below-floor", "journal/2026/11/alice.beancount", 4,
    ...             {"member": "alice", "balance": Decimal("-520.00")})
    >>> p.is_error
    True

`CoopError` is raised for operational failures that stop a command (not a
cooperative here, git refuses, the journal is locked) and for input that is
refused before anything is written. It carries a code and parameters too.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

# one fact of a problem: formatted by coopledger.language.messages for the reader's language
Param = str | int | Decimal | datetime.date | tuple[str, ...]


def _text(value: object) -> str:
    """A fact as text for sorting, independent of the reader's language."""
    if isinstance(value, tuple):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the cooperative's files."""

    code: str
    file: str | None = None
    line: int | None = None
    params: Mapping[str, Param] = field(default_factory=dict)
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def key(self) -> tuple[object, ...]:
        """Identity used to tell a new problem from one that was already there."""
        facts = tuple(sorted((key, value) for key, value in self.params.items()))
        return (self.code, self.file, self.line, facts)

    def sort_key(self) -> tuple[str, int, str, tuple[tuple[str, str], ...]]:
        """One total order for listing problems: by file, line, code, then facts,
        so that a list never depends on the order in which checks found them."""
        facts = tuple(sorted((key, _text(value)) for key, value in self.params.items()))
        return (self.file or "", self.line or 0, self.code, facts)


class CoopError(Exception):
    """An operation cannot go on; nothing has been written.

    `problems` lists the ledger problems behind a refusal, if any.
    """

    def __init__(
        self,
        code: str,
        *,
        file: str | None = None,
        line: int | None = None,
        problems: tuple[Problem, ...] = (),
        **params: Param,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.file = file
        self.line = line
        self.params = params
        self.problems = problems

    def __str__(self) -> str:  # for logs and tracebacks, not for users
        return f"{self.code} {self.params}"
