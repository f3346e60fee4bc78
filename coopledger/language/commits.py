"""Commit subjects as the reader reads them.

A write's commit subject is written by its plan (`member: edit alice (name)`,
`rules: set name to X`) and stored in git as it is (docs/rules.md, `language`).
Where a command shows it to say what it did, it is said in the reader's
language: the subject is read back into a catalogue text and its values, as
click's usage errors are (`coopledger.cli.helptexts.click_message`); a subject
not known here is shown as it is.

    >>> subject_text("rules: set name to SEL du Canal")
    'set name to SEL du Canal'
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from coopledger import i18n
from coopledger.i18n import N_, _

# the words a subject names (what was edited, which limit)
FIELDS = {"name": N_("name"), "e-mails": N_("e-mails"), "kind": N_("kind")}
LIMITS = {"floor": N_("floor"), "ceiling": N_("ceiling")}


def _fields(text: str) -> str:
    return ", ".join(_(FIELDS[word]) if word in FIELDS else word for word in text.split(", "))


def _amount(text: str) -> str:
    try:
        return i18n.amount_text(Decimal(text))
    except InvalidOperation:
        return text


def _limits(text: str) -> str:
    said = []
    for part in text.split(", "):
        name, _space, value = part.partition(" ")
        said.append(f"{_(LIMITS[name]) if name in LIMITS else name} {_amount(value)}")
    return ", ".join(said)


def _day(text: str) -> str:
    try:
        return i18n.date_text(datetime.date.fromisoformat(text))
    except ValueError:
        return text


# (the plan's subject, the text shown, how each value is said)
SUBJECTS: tuple[tuple[str, str, dict[str, Callable[[str], str]]], ...] = (
    (
        r"member: edit (?P<member>\S+) \((?P<fields>.*)\)",
        N_("edit {member} ({fields})"),
        {"fields": _fields},
    ),
    (
        r"member: limit (?P<member>\S+) (?P<limits>.+) from (?P<day>[0-9-]+)",
        N_("limit {member} {limits} from {day}"),
        {"limits": _limits, "day": _day},
    ),
    (r"rules: set (?P<key>\S+) to (?P<value>.*)", N_("set {key} to {value}"), {}),
)


def subject_text(message: str) -> str:
    """The first line of a commit message, in the reader's language (English: the
    subject without its `member: ` or `rules: ` prefix)."""
    subject = message.splitlines()[0] if message else ""
    for pattern, text, sayers in SUBJECTS:
        found = re.fullmatch(pattern, subject, flags=re.DOTALL)
        if found:
            values = found.groupdict()
            if i18n.language() != i18n.DEFAULT:
                values = {k: sayers.get(k, str)(v) for k, v in values.items()}
            return _(text).format(**values)
    return subject
