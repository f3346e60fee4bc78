"""Commit subjects as the reader reads them.

A write's commit subject is written by its plan in one fixed form (`member: edit
alice (name)`, `rules: set name to X`), whatever the reader's or the
cooperative's language: stored so, it can be told to every reader in their own
language (docs/rules.md, "Commit subjects"). Where a command shows it, it is read
back into a catalogue text and its values, as click's usage errors are
(`coopledger.cli.helptexts.click_message`); a subject not known here (one a
member wrote) is shown as it is.

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


def _summary(text: str) -> str:
    """`demurrage 4.50 SEL, contribution 30.00 SEL`: each rule's total, its amount said."""
    said = []
    for part in text.split(", "):
        words = part.split(" ")
        if len(words) == 3:
            words[1] = _amount(words[1])
        said.append(" ".join(words))
    return ", ".join(said)


def _count(text: str) -> str:
    return i18n.amount_text(Decimal(text)) if text.isdigit() else text


_MONEY = r"(?P<amount>-?[0-9.]+) (?P<currency>\S+)"
_MEMO = r"(?: — (?P<memo>.*?))?"

# (the plan's subject, the text shown, how each value is said): every subject a
# plan of coopledger writes (tests/test_french_rest.py makes each one and reads it)
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
    (r"member: add (?P<member>\S+) \((?P<name>.*)\)", N_("add {member} ({name})"), {}),
    (
        r"member: suspend (?P<member>\S+) from (?P<day>[0-9-]+)",
        N_("suspend {member} from {day}"),
        {"day": _day},
    ),
    (
        r"member: reactivate (?P<member>\S+) from (?P<day>[0-9-]+)",
        N_("reactivate {member} from {day}"),
        {"day": _day},
    ),
    (
        r"member: leave (?P<member>\S+) from (?P<day>[0-9-]+)",
        N_("leave {member} from {day}"),
        {"day": _day},
    ),
    (r"rules: set (?P<key>\S+) to (?P<value>.*)", N_("set {key} to {value}"), {}),
    (
        r"trade: (?P<payer>\S+) → (?P<payee>\S+) "
        + _MONEY
        + _MEMO
        + r"(?: \(levy (?P<levy>-?[0-9.]+) \S+\))?",
        N_("trade: {payer} → {payee} {amount} {currency}"),
        {"amount": _amount, "levy": _amount},
    ),
    (
        r"invoice (?P<ref>\S+): (?P<debtor>\S+) owes (?P<creditor>\S+) " + _MONEY + _MEMO,
        N_("invoice {ref}: {debtor} owes {creditor} {amount} {currency}"),
        {"amount": _amount},
    ),
    (
        r"settle (?P<ref>\S+): (?P<debtor>\S+) → (?P<creditor>\S+) " + _MONEY,
        N_("settle {ref}: {debtor} → {creditor} {amount} {currency}"),
        {"amount": _amount},
    ),
    (
        r"clearing (?P<clearing>\S+): " + _MONEY + r" set off over (?P<count>[0-9]+) invoice\(s\)"
        r"(?:, (?P<paid>-?[0-9.]+) \S+ paid in the currency)?",
        N_("clearing {clearing}: {amount} {currency} set off over {count} invoice(s)"),
        {"amount": _amount, "count": _count, "paid": _amount},
    ),
    (r"close: (?P<first>[0-9-]+) to (?P<last>[0-9-]+)", N_("close: {first} to {last}"), {}),
    (r"close: (?P<first>[0-9-]+)", N_("close: {first}"), {}),
    (
        r"reverse: (?P<trade>\S+) \((?P<payer>\S+) → (?P<payee>\S+) " + _MONEY + r"\)",
        N_("reverse: {trade} ({payer} → {payee} {amount} {currency})"),
        {"amount": _amount},
    ),
    (
        r"import: (?P<count>[0-9]+) trade\(s\), " + _MONEY + r", from (?P<file>.*)",
        N_("import: {count} trade(s), {amount} {currency}, from {file}"),
        {"amount": _amount, "count": _count},
    ),
    (
        r"import undo: (?P<count>[0-9]+) trade\(s\) of (?P<commit>\S+) reversed, " + _MONEY,
        N_("import undo: {count} trade(s) of {commit} reversed, {amount} {currency}"),
        {"amount": _amount, "count": _count},
    ),
    (
        r"apply-rules (?P<period>\S+): (?P<summary>.*)",
        N_("apply-rules {period}: {summary}"),
        {"summary": _summary},
    ),
    (r"federation clear: (?P<clearing>\S+)", N_("federation clear: {clearing}"), {}),
    (
        r"ci: check pull requests on (?P<platform>\S+)",
        N_("ci: check pull requests on {platform}"),
        {},
    ),
    (r"init: (?P<title>.*)", N_("init: {title}"), {}),
    (
        r"demo: (?P<name>.+), (?P<members>[0-9]+) members, (?P<trades>[0-9]+) trades, "
        r"(?P<invoices>[0-9]+) invoices from (?P<first>[0-9-]+) to (?P<last>[0-9-]+) "
        r"\(seed (?P<seed>[0-9]+)\)",
        N_(
            "demo: {name}, {members} members, {trades} trades, {invoices} invoices "
            "from {first} to {last} (seed {seed})"
        ),
        {"first": _day, "last": _day},
    ),
)
# the parts a subject may add after its first words, in the order they come
TAILS = {
    "memo": N_(" — {memo}"),
    "levy": N_(" (levy {levy} {currency})"),
    "paid": N_(", {paid} {currency} paid in the currency"),
}


def subject_text(message: str) -> str:
    """The first line of a commit message, in the reader's language; a subject of a
    member's or the rules' file without its `member: ` or `rules: ` prefix (the
    command says what it changed); a subject not known here as it is."""
    subject = message.splitlines()[0] if message else ""
    found = known(subject)
    if found is None:
        return subject
    text, values = found
    if i18n.language() != i18n.DEFAULT:
        values = {k: v if v is None else _sayer(text, k)(v) for k, v in values.items()}
    said = _(text).format(**values)
    for name, tail in TAILS.items():
        if values.get(name) is not None:
            said += _(tail).format(**values)
    return said


def known(subject: str) -> tuple[str, dict[str, str | None]] | None:
    """The catalogue text of `subject` and its values, or None for a subject no plan writes."""
    for pattern, text, _sayers in SUBJECTS:
        found = re.fullmatch(pattern, subject, flags=re.DOTALL)
        if found:
            return text, found.groupdict()
    return None


def _sayer(text: str, name: str) -> Callable[[str], str]:
    sayers = next(sayers for _pattern, said, sayers in SUBJECTS if said == text)
    return sayers.get(name, str)
