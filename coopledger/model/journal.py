"""The journal: where entries live and what they look like.

Layout (chosen so that two pull requests touch the same file only when they
change the same entry, and so merge without conflicts even on a hosting
platform's button, which ignores `merge=union`):

    journal/main.beancount            options, the coopledger plugin, one include
    journal/coop/currency.beancount   the currency's commodity declaration
    journal/2026/11/22/alice.2026-11-22-3fa9c1d2.beancount   one write of 2026-11-22
    journal/2026/11/alice.beancount   alice's month file, as earlier versions wrote it

An entry is owned by the member who initiates it: a trade by its payer. Every
write has a file of its own in the folder of its day, within its month's,
named after the owner and the write's id (`entry_file`), until `close`
gathers the month's files into one; files of the first layout, one per owner
and month (`entry_path`), are read as they always were. The include glob of
main.beancount picks up new files without any change to main.beancount.

A trade, as coopledger writes it and as a volunteer may write it by hand:

    2026-11-22 * "pain, novembre"
      trade: "2026-11-22-3fa9c1d2"
      Assets:Members:Alice    -40.00 SEL
      Assets:Members:Fournil   40.00 SEL

The `trade` id is optional in hand-written entries; when present it must be
unique. `category` metadata is optional.

When rules.yaml sets a levy, the trade carries it in the same transaction: after
the two member postings, one pair per levy, the member who pays it and the
cooperative's account that receives it (see docs/rules.md):

    2026-11-22 * "pain, novembre"
      trade: "2026-11-22-3fa9c1d2"
      Assets:Members:Alice    -40.00 SEL
      Assets:Members:Fournil   40.00 SEL
      Assets:Members:Alice     -0.80 SEL
      Assets:Coop:Treasury      0.80 SEL

Entries written by `coopledger apply-rules` carry `rule` and `period` metadata
and live in journal/YYYY/MM/_rules.beancount.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from beancount.core import data

from coopledger.model.accounts import member_account, member_of_account
from coopledger.model.money import format_amount

JOURNAL_DIR = "journal"
MAIN_FILE = "journal/main.beancount"
CURRENCY_FILE = "journal/coop/currency.beancount"
INCLUDE_GLOB = "*/**/*.beancount"
TRADE_ID_KEY = "trade"
CATEGORY_KEY = "category"
RULE_KEY = "rule"  # entries of a periodic rule: rule: "demurrage", period: "2026-11"
PERIOD_KEY = "period"
RULE_NAMES = ("demurrage", "contribution")
PLUGIN_MODULE = "coopledger.plugin"


def entry_path(day: datetime.date, owner: str) -> str:
    """The owner's month file, relative to the cooperative's root: where entries
    of the first layout live, and the month folder of `entry_file`."""
    return f"{JOURNAL_DIR}/{day.year:04d}/{day.month:02d}/{owner}.beancount"


def entry_file(day: datetime.date, owner: str, key: str) -> str:
    """The file of one write in the open period, its own so that two writes never
    touch the same file: journal/YYYY/MM/DD/<owner>.<key>.beancount, `key` being
    the write's id (a trade's id). No member id holds a dot, so this is never a
    member's month file (`entry_path`); `close` gathers it with its month. The
    day's folder keeps each git tree small: a commit writes again the trees on
    the way to the file it adds, so a month's folder lists days, not entries.

    >>> entry_file(datetime.date(2026, 11, 22), "alice", "2026-11-22-3fa9c1d2")
    'journal/2026/11/22/alice.2026-11-22-3fa9c1d2.beancount'
    """
    safe = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in key)
    month = f"{JOURNAL_DIR}/{day.year:04d}/{day.month:02d}"
    return f"{month}/{day.day:02d}/{owner}.{safe.lower()}.beancount"


def new_trade_id(day: datetime.date) -> str:
    return f"{day.isoformat()}-{secrets.token_hex(4)}"


def quote_string(text: str) -> str:
    """A beancount string literal."""
    cleaned = " ".join(text.split())
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Levy:
    """Part of a trade: `member` (its payer or payee) pays `amount` into `account`."""

    member: str
    account: str
    amount: Decimal


@dataclass(frozen=True)
class Trade:
    """A movement of units from a payer to a payee, with the levies it carries."""

    date: datetime.date
    payer: str
    payee: str
    amount: Decimal
    memo: str = ""
    trade_id: str | None = None
    category: str | None = None
    file: str | None = None
    line: int | None = None
    levies: tuple[Levy, ...] = ()


def format_trade(trade: Trade, currency: str, decimals: int) -> str:
    """The text of a trade entry, ending with a newline, aligned as bean-format
    aligns a file holding only this entry (`journal_text` aligns whole files)."""
    amount = format_amount(trade.amount, decimals)
    postings = [(member_account(trade.payer), "-" + amount), (member_account(trade.payee), amount)]
    for levy in trade.levies:
        levied = format_amount(levy.amount, decimals)
        postings += [(member_account(levy.member), "-" + levied), (levy.account, levied)]
    lines = [f"{trade.date.isoformat()} * {quote_string(trade.memo or 'trade')}"]
    if trade.trade_id:
        lines.append(f"  {TRADE_ID_KEY}: {quote_string(trade.trade_id)}")
    if trade.category:
        lines.append(f"  {CATEGORY_KEY}: {quote_string(trade.category)}")
    lines += posting_lines(postings, currency)
    return "\n".join(lines) + "\n"


def posting_lines(postings: Iterable[tuple[str, str]], currency: str) -> list[str]:
    """`  Account  number CUR` lines, as bean-format aligns them: accounts padded
    to the longest, two spaces, numbers right-aligned to the longest."""
    postings = list(postings)
    account_width = max(len(account) for account, _ in postings)
    number_width = max(len(number) for _, number in postings)
    return [
        f"  {account:<{account_width}}  {number:>{number_width}} {currency}"
        for account, number in postings
    ]


def main_file_text(title: str, currency: str) -> str:
    return (
        f"; {title}: the top file of the journal, for bean-check, bean-query and fava.\n"
        "; Entries are not written here: each lives in journal/YYYY/MM/<member>.beancount,\n"
        "; found by the include below. See 'coopledger help journal-format'.\n"
        f'option "title" {quote_string(title)}\n'
        f'option "operating_currency" "{currency}"\n'
        f'plugin "{PLUGIN_MODULE}"\n'
        f'include "{INCLUDE_GLOB}"\n' + FAVA_LINES
    )


# fava (`pip install 'coopledger[fava]'`, docs/fava.md): coopledger's page, opened first
FAVA_EXTENSION = "coopledger.fava_ext"
FAVA_LINES = (
    "; fava: coopledger's page (balances, limits, the monthly report), opened first\n"
    f'2000-01-01 custom "fava-extension" "{FAVA_EXTENSION}"\n'
    '2000-01-01 custom "fava-option" "default-page" "extension/Coopledger/"\n'
)


def currency_file_text(currency: str, currency_name: str, day: datetime.date) -> str:
    return (
        "; The cooperative's currency. It must match `currency` in rules.yaml.\n"
        f"{day.isoformat()} commodity {currency}\n"
        f"  name: {quote_string(currency_name)}\n"
    )


def source_of(entry: data.Directive) -> tuple[str | None, int | None]:
    meta = entry.meta or {}
    return meta.get("filename"), meta.get("lineno")


def _levies(postings: list[data.Posting], payer: str, payee: str) -> tuple[Levy, ...] | None:
    """The levy pairs after a trade's two postings, or None if they are not levies."""
    levies = []
    for index in range(0, len(postings), 2):
        paying, receiving = postings[index], postings[index + 1]
        member = member_of_account(paying.account)
        if (
            member not in (payer, payee)
            or member_of_account(receiving.account) is not None
            or paying.units is None
            or receiving.units is None
            or paying.units.number is None
            or receiving.units.number is None
            or paying.units.number >= 0
            or receiving.units.number != -paying.units.number
        ):
            return None
        assert member is not None
        levies.append(Levy(member, receiving.account, receiving.units.number))
    return tuple(levies)


def as_trade(entry: data.Directive) -> Trade | None:
    """The trade an entry records, if it is one: two postings between members,
    optionally followed by levy pairs (a member paying a cooperative account)."""
    if not isinstance(entry, data.Transaction) or len(entry.postings) < 2:
        return None
    if len(entry.postings) % 2:
        return None
    first, second = entry.postings[:2]
    if first.units is None or second.units is None:
        return None
    first_number, second_number = first.units.number, second.units.number
    if first_number is None or second_number is None or first_number != -second_number:
        return None
    if first_number < 0:
        payer_posting, payee_posting, amount = first, second, second_number
    else:
        payer_posting, payee_posting, amount = second, first, first_number
    payer = member_of_account(payer_posting.account)
    payee = member_of_account(payee_posting.account)
    if payer is None or payee is None or amount <= 0:
        return None
    levies = _levies(entry.postings[2:], payer, payee)
    if levies is None:
        return None
    filename, line = source_of(entry)
    trade_id = entry.meta.get(TRADE_ID_KEY)
    category = entry.meta.get(CATEGORY_KEY)
    return Trade(
        date=entry.date,
        payer=payer,
        payee=payee,
        amount=amount,
        memo=entry.narration or "",
        trade_id=str(trade_id) if trade_id is not None else None,
        category=str(category) if category is not None else None,
        file=filename,
        line=line,
        levies=levies,
    )


def trades_of(entries: Iterable[data.Directive]) -> Iterator[Trade]:
    for entry in entries:
        trade = as_trade(entry)
        if trade is not None:
            yield trade


def owner_of(entry: data.Directive) -> str | None:
    """The member whose file holds `entry`: a trade's payer; else the first member
    who pays in a transaction (or the first member it names); the member of a
    balance assertion or a note. None when no member's account is named."""
    if isinstance(entry, data.Transaction):
        trade = as_trade(entry)
        if trade is not None:
            return trade.payer
        members = [
            (member_of_account(p.account), p.units.number if p.units else None)
            for p in entry.postings
        ]
        paying = [m for m, n in members if m and n is not None and n < 0]
        named = [m for m, _ in members if m]
        return next(iter(paying or named), None)
    if isinstance(entry, data.Balance | data.Note):
        return member_of_account(entry.account)
    return None
