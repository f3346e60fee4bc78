"""Closed months: the books of a month, frozen by the treasurer.

`coopledger close 2026-10` writes `journal/2026/10/close.beancount`: the balance
of every member account at the first day of the next month, as beancount
balance assertions, and one directive that records a fingerprint of the
month's entries:

    2026-11-01 balance Assets:Members:Alice        -40.00 SEL
    2026-11-01 balance Assets:Members:Fournil       40.00 SEL
    2026-11-01 custom "coopledger-close" "2026-10"
      fingerprint: "sha256:9c1e…"
      entries: 1
      digests: "5d41402abc4b"

`fingerprint` is the sha256 of the month's entries in canonical form (see
`canonical_text`), sorted, so the order of files does not matter. `digests`
lists a short hash of each entry, so that `check_closed_months` can name the
entry that was added or edited after closing, not only the month. The entries
of a month are the ones dated in it, whatever file holds them, except balance
assertions, account openings and closings, commodities and the close directive.

A close also records what lets a later check skip reading the month at all
(see `coopledger.cache.carry`): `trades`, the number of trades up to the month's end;
`balances`, the sha256 of the file's text above the directive (the balance
assertions, the cooperative's own accounts included); and, when the month's
folder holds exactly the month's entries, `folder`, the sha256 of the bytes of
every file in journal/YYYY/MM/ but close.beancount, with `invoices`, the files
of the folder that hold invoices, settlements or clearings.

    >>> month_of("2026-10")
    (datetime.date(2026, 10, 1), datetime.date(2026, 11, 1))
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import printer

from coopledger.model import paths
from coopledger.model.journal import JOURNAL_DIR
from coopledger.model.members import Roster
from coopledger.model.money import format_amount
from coopledger.model.months import Month
from coopledger.model.problems import CoopError, Problem
from coopledger.model.rules import Rules

CLOSE_TYPE = "coopledger-close"
CLOSE_FILE_NAME = "close.beancount"
GATHERED_FILE_NAME = "_month.beancount"  # a closed month's files, gathered; "_" is never in an id
FINGERPRINT_KEY = "fingerprint"
ENTRIES_KEY = "entries"
DIGESTS_KEY = "digests"
TRADES_KEY = "trades"
BALANCES_KEY = "balances"
FOLDER_KEY = "folder"
INVOICE_FILES_KEY = "invoices"
DIGEST_LENGTH = 12
_IGNORED_META = ("filename", "lineno")
_IGNORED_KEYS = frozenset(_IGNORED_META)
_NOT_CONTENT = (data.Open, data.Close, data.Commodity, data.Balance)


def relative(path: str | None, root: str) -> str | None:
    """`paths.relative`, or `path` itself when no root is given."""
    return paths.relative(path, root) if root else path


def month_of(text: str) -> tuple[datetime.date, datetime.date]:
    """First day of the month `YYYY-MM` and first day of the next, or CoopError."""
    month = Month.parse(text)
    return month.first, next_month(month.first)


def next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_key(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def close_path(month: str) -> str:
    return f"{JOURNAL_DIR}/{month[:4]}/{month[5:7]}/{CLOSE_FILE_NAME}"


def is_close_directive(entry: data.Directive) -> bool:
    return isinstance(entry, data.Custom) and entry.type == CLOSE_TYPE


def _meta_items(meta: dict[str, object] | None) -> list[tuple[str, str]]:
    """The items of `meta` but the file, the line and beancount's own (`__...`),
    as texts, sorted."""
    items = []
    for key, value in (meta or {}).items():
        if type(key) is str:  # the usual key: no text to make of it
            if key == "filename" or key == "lineno" or key[:2] == "__":
                continue
            items.append((key, value if type(value) is str else str(value)))
        elif key not in _IGNORED_META and not str(key).startswith("__"):
            items.append((str(key), str(value)))
    items.sort()
    return items


_NO_META = repr([])  # what `_meta_items` gives a posting's usual metadata, as text


def canonical_text(entry: data.Directive) -> str:
    """One entry as stable text: what it says, never where it stands.

    A transaction gives its date, flag, payee, narration, tags, links, sorted
    metadata and postings (account, number, currency, metadata, and the flag,
    cost and price of a posting that has them); other directives are
    printed by beancount's printer without their file and line.
    """
    if isinstance(entry, data.Transaction):
        tags = " ".join(sorted(entry.tags)) if entry.tags else ""
        links = " ".join(sorted(entry.links)) if entry.links else ""
        text = (
            f"{entry.date.isoformat()}\n{entry.flag}\n{entry.payee or ''}\n"
            f"{entry.narration or ''}\n{tags}\n{links}\n{_meta_items(entry.meta)!r}"
        )
        for posting in entry.postings:
            units = posting.units  # an elided amount is beancount's MISSING, not an Amount
            if isinstance(units, Amount):
                number = units.number
                number_text = f"{number:f}" if isinstance(number, Decimal) else ""
                currency = str(units.currency or "")
            else:
                number_text = currency = ""
            meta = posting.meta
            # a posting's file and line only (the parser's usual): no item, so no sort
            if not meta or meta.keys() <= _IGNORED_KEYS:
                text += f"\n{posting.account} {number_text} {currency} {_NO_META}"
            else:
                text += f"\n{posting.account} {number_text} {currency} {_meta_items(meta)!r}"
            if posting.flag or posting.cost is not None or posting.price is not None:
                text += _posting_extras(posting)
        return text
    meta = {k: v for k, v in (entry.meta or {}).items() if k not in _IGNORED_META}
    return printer.format_entry(entry._replace(meta=meta))


def _posting_extras(posting: data.Posting) -> str:
    """A posting's flag, cost and price, when it has them: empty for every
    posting coopledger writes, so that the fingerprints of such entries are
    the same as before these were counted."""
    extras = []
    if posting.flag:
        extras.append(f"flag {posting.flag}")
    if posting.cost is not None:
        extras.append(f"cost {posting.cost!r}")
    if posting.price is not None:
        extras.append(f"price {posting.price!r}")
    return (" | " + " | ".join(extras)) if extras else ""


def digest(entry: data.Directive) -> str:
    text = canonical_text(entry)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


# fava's own directives set up the viewer (main.beancount's `fava-extension`, dated
# 2000-01-01), not the books: never frozen by a close, never a reason to read closed months
VIEWER_TYPES = ("fava-extension", "fava-option")


def is_content(entry: data.Directive) -> bool:
    """What a close freezes: any entry but balance assertions, account openings
    and closings, commodities, close directives and fava's own directives."""
    return (
        not isinstance(entry, _NOT_CONTENT)
        and not is_close_directive(entry)
        and not (isinstance(entry, data.Custom) and entry.type in VIEWER_TYPES)
    )


def month_entries(
    entries: Iterable[data.Directive], first: datetime.date, after: datetime.date
) -> list[data.Directive]:
    """The entries whose content a close of [first, after) freezes."""
    return [e for e in entries if first <= e.date < after and is_content(e)]


def content_by_month(entries: Iterable[data.Directive]) -> dict[str, list[data.Directive]]:
    """The entries a close freezes, grouped by their month `YYYY-MM`, in one pass:
    `month_entries` for every month at once."""
    found: dict[str, list[data.Directive]] = {}
    for entry in entries:
        if is_content(entry):
            found.setdefault(month_key(entry.date), []).append(entry)
    return found


def fingerprint(entries: Iterable[data.Directive]) -> tuple[str, list[str]]:
    """The month's fingerprint and the sorted digests of its entries."""
    texts = sorted(canonical_text(e) for e in entries)
    digests = sorted(hashlib.sha256(t.encode("utf-8")).hexdigest()[:DIGEST_LENGTH] for t in texts)
    return _whole(texts), digests


def whole_fingerprint(entries: Iterable[data.Directive]) -> str:
    """The month's fingerprint alone (`fingerprint` without the digests)."""
    return _whole(sorted(canonical_text(e) for e in entries))


def _whole(texts: list[str]) -> str:
    return "sha256:" + hashlib.sha256("\n\x1e\n".join(texts).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the check


@dataclass(frozen=True)
class ClosedMonth:
    month: str
    fingerprint: str
    digests: tuple[str, ...]
    file: str | None
    line: int | None
    entries: int | None = None  # the count recorded; digests are usable when it matches


def closed_months(entries: Iterable[data.Directive], root: str = "") -> list[ClosedMonth]:
    """Every month closed in the journal, from its close directives."""
    found = []
    for entry in entries:
        if not isinstance(entry, data.Custom) or entry.type != CLOSE_TYPE:
            continue
        meta = entry.meta or {}
        values = [str(v.value) for v in entry.values]
        digests = str(meta.get(DIGESTS_KEY, "")).split()
        found.append(
            ClosedMonth(
                values[0] if values else "",
                str(meta.get(FINGERPRINT_KEY, "")),
                tuple(digests),
                relative(meta.get("filename"), root),
                meta.get("lineno"),
                _count(meta.get(ENTRIES_KEY)),
            )
        )
    return sorted(found, key=lambda c: (c.file or "", c.line or 0))


def _count(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def check_closed_months(entries: Sequence[data.Directive], root: str) -> list[Problem]:
    """Every change to a closed month: an entry added or edited (named by its file
    and line), entries removed, or a close directive that cannot be read."""
    problems: list[Problem] = []
    closes = closed_months(entries, root)
    if not closes:
        return problems
    seen: dict[str, ClosedMonth] = {}
    by_month = content_by_month(entries)  # one pass, whatever the number of closed months
    for close in closes:
        try:
            first, _ = month_of(close.month)
        except CoopError:
            problems.append(
                Problem("close-bad-month", close.file, close.line, {"value": close.month})
            )
            continue
        if not close.fingerprint:
            problems.append(
                Problem("close-no-fingerprint", close.file, close.line, {"month": close.month})
            )
            continue
        earlier = seen.get(close.month)
        if earlier is not None:
            problems.append(
                Problem(
                    "month-closed-twice",
                    close.file,
                    close.line,
                    {"month": close.month, "first": f"{earlier.file}:{earlier.line}"},
                )
            )
            continue
        seen[close.month] = close
        problems.extend(_month_problems(close, by_month.get(month_key(first), []), root))
    return problems


def _month_problems(close: ClosedMonth, current: list[data.Directive], root: str) -> list[Problem]:
    # the digests of its entries only when the month's fingerprint differs: they
    # name the entries added or changed, and the month is as closed when it matches
    if whole_fingerprint(current) == close.fingerprint:
        return []
    problems: list[Problem] = []
    if close.entries is None or close.entries != len(close.digests):
        return [Problem("closed-month-changed", close.file, close.line, {"month": close.month})]
    recorded = Counter(close.digests)
    where = f"{close.file}:{close.line}"
    for entry in sorted(
        current, key=lambda e: (e.meta.get("filename", ""), e.meta.get("lineno", 0))
    ):
        key = digest(entry)
        if recorded[key] > 0:
            recorded[key] -= 1
            continue
        meta = entry.meta or {}
        problems.append(
            Problem(
                "closed-month-entry-added",
                relative(meta.get("filename"), root),
                meta.get("lineno"),
                {"month": close.month, "date": entry.date, "close": where},
            )
        )
    missing = sum(recorded.values())
    if missing:
        problems.append(
            Problem(
                "closed-month-entry-removed",
                close.file,
                close.line,
                {"month": close.month, "count": str(missing)},
            )
        )
    if not problems:
        problems.append(
            Problem("closed-month-changed", close.file, close.line, {"month": close.month})
        )
    return problems


def closed_month_of(day: datetime.date, entries: Iterable[data.Directive]) -> str | None:
    """The closed month holding `day`, if any."""
    wanted = month_key(day)
    return next((c.month for c in closed_months(entries) if c.month == wanted), None)


@dataclass(frozen=True)
class Opening:
    """The books at the start of the open period, carried from the last close.

    A check that starts from an `Opening` reads only the entries after
    `day`; the closed months before it were verified by their folders'
    fingerprints (see `coopledger.cache.carry`)."""

    month: str  # the last closed month
    day: datetime.date  # the first day after it
    balances: dict[str, Decimal]  # member id -> balance at the end of `month`
    coop_balances: dict[str, Decimal]  # the cooperative's own accounts, likewise
    trades: int  # trades up to the end of `month`
    folders: tuple[str, ...]  # the closed months' folders, journal/YYYY/MM
    carried: tuple[data.Directive, ...] = ()  # invoices, settlements, clearings before `day`
    file: str | None = None  # the last close directive
    line: int | None = None
    prints: tuple[str, ...] = ()  # the `folder` fingerprint of each of `folders`


# ---------------------------------------------------------------- the close


@dataclass(frozen=True)
class CarryFacts:
    """What a close records so that later checks need not read the month again."""

    trades: int  # trades dated up to the end of the month
    coop_balances: dict[str, Decimal]  # the cooperative's own accounts at the month's end
    folder: str | None = None  # `folder_fingerprint` of the month's folder, when self-contained
    invoice_files: tuple[str, ...] = ()  # names of the folder's files that hold invoices
    gathering: Gathering | None = None  # the folder's files gathered into one, if asked


@dataclass(frozen=True)
class Gathering:
    """A closed month's files gathered into `GATHERED_FILE_NAME` (see `coopledger.cache.carry`)."""

    folder: str  # relative to the cooperative's root, e.g. journal/2026/10
    text: str  # the text of the gathered file: each file's text, after its name
    gathered: tuple[str, ...]  # names of the files it holds, gone once it is written
    kept: tuple[str, ...]  # the folder's other files (invoices...), left as they are


def text_fingerprint(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def blob_id(content: bytes) -> str:
    """The id git gives a file holding `content` (a sha1 of it, with a header)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def folder_fingerprint(files: Iterable[tuple[str, str]]) -> str:
    """The sha256 of a folder's files, given as (name, `blob_id` of the bytes):
    so git's index can vouch for a clean folder without the files being read."""
    lines = "".join(f"{name}\0{blob}\n" for name, blob in sorted(files))
    return "sha256:" + hashlib.sha256(lines.encode("utf-8")).hexdigest()


def close_text(
    month: str,
    balances: dict[str, Decimal],
    accounts: dict[str, str],
    rules: Rules,
    month_content: list[data.Directive],
    carry: CarryFacts | None = None,
) -> str:
    """The text of close.beancount for `month`."""
    _, after = month_of(month)
    whole, digests = fingerprint(month_content)
    coop_balances = carry.coop_balances if carry else {}
    width = max((len(a) for a in [*accounts.values(), *coop_balances]), default=20) + 2
    lines = [
        f"; Closing of {month}, written by `coopledger close {month}`. Do not edit this file",
        "; nor any entry dated in the month: `coopledger check` compares them with the",
        "; fingerprint below. Correct a mistake with a new entry (coopledger reverse).",
    ]
    owned = [
        (account, balances.get(member_id, Decimal(0))) for member_id, account in accounts.items()
    ]
    for account, balance in [*owned, *coop_balances.items()]:
        amount = format_amount(balance, rules.decimals)
        lines.append(f"{after.isoformat()} balance {account:<{width}}{amount:>14} {rules.currency}")
    above = "\n".join(lines) + "\n"
    lines.append(f'{after.isoformat()} custom "{CLOSE_TYPE}" "{month}"')
    lines.append(f'  {FINGERPRINT_KEY}: "{whole}"')
    lines.append(f"  {ENTRIES_KEY}: {len(digests)}")
    lines.append(f'  {DIGESTS_KEY}: "{" ".join(digests)}"')
    if carry is not None:
        lines.append(f"  {TRADES_KEY}: {carry.trades}")
        lines.append(f'  {BALANCES_KEY}: "{text_fingerprint(above)}"')
        if carry.folder is not None:
            lines.append(f'  {FOLDER_KEY}: "{carry.folder}"')
            lines.append(f'  {INVOICE_FILES_KEY}: "{" ".join(carry.invoice_files)}"')
    return "\n".join(lines) + "\n"


def plan_close_text(
    month: str,
    content: list[data.Directive],
    closed: Iterable[str],
    roster: Roster,
    rules: Rules,
    history_balance: dict[str, Decimal],
    today: datetime.date,
    carry: CarryFacts | None = None,
) -> tuple[str, str]:
    """(path, text) of the close of `month`, or CoopError when it cannot be closed.

    `content` is the month's entries (`month_entries`), `closed` the months
    closed already, `history_balance` maps each member to its balance at the
    end of the month.
    """
    _, after = month_of(month)
    if after > today:
        raise CoopError("month-not-over", month=month, date=after)
    if month in set(closed):
        raise CoopError("month-already-closed", month=month, path=close_path(month))
    accounts = {m.id: m.account for m in roster if m.joined < after}
    text = close_text(month, history_balance, accounts, rules, content, carry)
    return close_path(month), text
