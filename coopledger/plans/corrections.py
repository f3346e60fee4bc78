"""Planning the writes that keep history honest: closing a month, reversing a trade.

The journal is append-only: a mistake is corrected by a new entry, never by an
edit. `plan_reverse` writes the exact counter-entry of a trade, linked to it:

    2026-11-25 * "reversal of 2026-11-22-3fa9c1d2: pain, novembre"
      trade: "2026-11-25-0b7e44a1"
      reverses: "2026-11-22-3fa9c1d2"
      Assets:Members:Fournil  -40.00 SEL
      Assets:Members:Alice     40.00 SEL

`plan_close` freezes a month (see `coopledger.model.closing`). Both go through the
same checks as a trade before anything is written.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Sequence
from decimal import Decimal

from beancount.core import data
from beancount.parser import parser

from coopledger.cache.carry import carry_facts, coop_balances_at, index_months, trades_before
from coopledger.git.gitrepo import Identity
from coopledger.model import clock
from coopledger.model.closing import (
    CLOSE_FILE_NAME,
    GATHERED_FILE_NAME,
    Opening,
    closed_months,
    is_content,
    month_key,
    month_of,
    plan_close_text,
    relative,
)
from coopledger.model.days import DayBalance
from coopledger.model.journal import (
    TRADE_ID_KEY,
    Trade,
    entry_file,
    format_trade,
    new_trade_id,
    quote_string,
    trades_of,
)
from coopledger.model.members import Roster
from coopledger.model.money import format_amount
from coopledger.model.plaintext import checked_text
from coopledger.model.problems import CoopError
from coopledger.model.rules import Rules, check_horizon
from coopledger.plans.writes import (
    append_entries,
    check_write,
    new_problems,
    parse_appended,
    usable,
)
from coopledger.storage.store import Change, Cooperative, NewFolder
from coopledger.validation.checks import check_ledger

REVERSES_KEY = "reverses"
TREASURER = "treasurer"


def treasurer_role(rules: Rules) -> str:
    """The role name rules.yaml gives the treasurer (`roles: {treasurer: ...}`)."""
    return rules.role(TREASURER)


def require_treasurer(roster: Roster, rules: Rules, author: Identity, command: str) -> None:
    role = treasurer_role(rules)
    member = roster.by_email(author[1])
    if member is None or not member.has_role(role):
        who = member.id if member else author[1]
        raise CoopError("treasurer-only", member=who, role=role, command=command)


# ---------------------------------------------------------------- close


def plan_close(
    coop: Cooperative,
    month: str,
    author: Identity,
    today: datetime.date,
    with_earlier: bool = False,
    gather: bool = False,
) -> tuple[Change, int]:
    """Close `month` (and, `with_earlier`, every earlier month not closed yet):
    balance assertions and fingerprints in each close.beancount, one commit.
    With `gather`, each closed month's files are gathered into one
    (`carry.plan_gathering`), in the same commit: its folder is then replaced
    whole. Returns the change and the number of entries frozen."""
    rules, roster = usable(coop)
    month_of(month)
    require_treasurer(roster, rules, author, "close")
    if coop.errors:
        raise CoopError("ledger-has-problems", problems=tuple(coop.errors))
    opening = coop.opening  # set when only the months after the last close were read
    closed = closed_month_names(coop.entries, opening)
    months = months_to_close(coop.entries, month, opening)
    if not with_earlier:
        if month in months and months != [month]:  # closed means closed before it too
            earlier = ", ".join(m for m in months if m != month)
            raise CoopError("close-leaves-earlier-open", month=month, months=earlier)
        months = [month]
    files: dict[str, str] = {}
    folders: list[NewFolder] = []
    new: list[data.Directive] = []
    # everything a month's close needs, grouped once: N months cost N times one
    index = index_months(coop.entries, rules.coop_accounts)
    count_trades = trades_before(coop.entries)
    trades_carried = opening.trades if opening is not None else 0
    for closing in months:
        _, after = month_of(closing)
        last_day = after - datetime.timedelta(days=1)
        balances = {m.id: balance_on(coop.history.get(m.id, ()), last_day) for m in roster}
        trades = trades_carried + count_trades(after)
        coop_balances = coop_balances_at(index, rules.coop_accounts, closing, opening)
        facts = carry_facts(coop.root, index, closing, trades, coop_balances, gather)
        content = [e for e in index.dated.get(closing, ()) if is_content(e)]
        path, text = plan_close_text(
            closing, content, closed, roster, rules, balances, today, facts
        )
        gathering = facts.gathering
        if gathering is None:
            files[path] = text
        else:
            written = {GATHERED_FILE_NAME: gathering.text, CLOSE_FILE_NAME: text}
            folders.append(NewFolder(gathering.folder, written, gathering.kept))
        new.extend(parse_appended(text, text, str(coop.root / path)))
    # the close adds no posting: the members' daily balances are the ones just read
    everything = [*coop.entries, *new]
    found = check_ledger(
        everything, roster, rules, str(coop.root), history=coop.history, opening=opening
    )
    errors, _ = new_problems(coop, found)
    if errors:  # pragma: no cover - the close is computed from the ledger itself
        raise CoopError("change-refused", problems=tuple(errors))
    entries = sum(int(e.meta.get("entries", 0)) for e in new if isinstance(e, data.Custom))
    first, last = months[0], months[-1]
    message = f"close: {first}" if first == last else f"close: {first} to {last}"
    return Change(files, message, author, folders=tuple(folders)), entries


def balance_on(series: Sequence[DayBalance], day: datetime.date) -> Decimal:
    """`checks.balance_at` for a series in date order, by bisection."""
    at = bisect.bisect_right(series, day, key=lambda point: point.date)
    return series[at - 1].closing if at else Decimal(0)


def closed_month_names(entries: Sequence[data.Directive], opening: Opening | None) -> set[str]:
    """The months closed already: by a close among `entries`, or carried by `opening`
    (every month up to its last closed month)."""
    closed = {c.month for c in closed_months(entries)}
    if opening is not None:
        closed.add(opening.month)
    return closed


def months_to_close(
    entries: Sequence[data.Directive], month: str, opening: Opening | None = None
) -> list[str]:
    """`month` and every earlier month with entries that is not closed yet (with
    an `opening`, the months up to its last closed month are all closed)."""
    month_of(month)
    closed = closed_month_names(entries, opening)
    carried = opening.month if opening is not None else ""
    dated = {month_key(e.date) for e in entries if isinstance(e, data.Transaction)}
    return sorted(m for m in {*dated, month} if carried < m <= month and m not in closed) or [month]


# ---------------------------------------------------------------- reverse


def find_trade(coop: Cooperative, trade_id: str) -> Trade:
    """The trade whose id is `trade_id` or starts with it, when only one does
    (`trade_list.resolve_trade_id`)."""
    from coopledger.reporting.trade_list import resolve_trade_id

    trades = list(trades_of(coop.entries))
    whole = resolve_trade_id([t.trade_id for t in trades if t.trade_id], trade_id)
    return next(trade for trade in trades if trade.trade_id == whole)


def reversal_of(coop: Cooperative, trade_id: str) -> data.Transaction | None:
    for entry in coop.entries:
        if isinstance(entry, data.Transaction) and entry.meta.get(REVERSES_KEY) == trade_id:
            return entry
    return None


def reversal_text(original: Trade, reversal: Trade, currency: str, decimals: int) -> str:
    """The counter-entry: the trade's text with payer and payee swapped, linked."""
    text = format_trade(reversal, currency, decimals)
    id_line = f"  {TRADE_ID_KEY}: {quote_string(reversal.trade_id or '')}\n"
    link = f"  {REVERSES_KEY}: {quote_string(original.trade_id or '')}\n"
    return text.replace(id_line, id_line + link, 1)


def counter_trade(original: Trade, roster: Roster, day: datetime.date, memo: str) -> Trade:
    """The trade that gives `original` back on `day` (payee pays payer the same
    amount, with a new id), or CoopError when either member cannot trade then."""
    for member_id in (original.payer, original.payee):
        member = roster.get(member_id)
        status = member.status_at(day) if member else "unknown"
        if status != "active":
            raise CoopError("member-not-active-on", member=member_id, status=status, date=day)
    return Trade(
        day,
        original.payee,
        original.payer,
        original.amount,
        memo,
        new_trade_id(day),
        original.category,
    )


def plan_reverse(
    coop: Cooperative,
    trade_id: str,
    *,
    day: datetime.date,
    memo: str | None,
    author: Identity,
) -> tuple[Change, Trade]:
    rules, roster = usable(coop)
    check_horizon(day, rules, clock.today())
    checked_text(memo or "", "memo")
    original = find_trade(coop, trade_id)
    trade_id = original.trade_id or trade_id  # the whole id, when a prefix was given
    already = reversal_of(coop, trade_id)
    if already is not None:
        raise CoopError(
            "already-reversed",
            trade_id=trade_id,
            at=f"{relative(already.meta.get('filename'), str(coop.root))}:"
            f"{already.meta.get('lineno', '')}",
            by=str(already.meta.get(TRADE_ID_KEY, "")),
        )
    words = (
        memo.strip()
        if memo
        else f"reversal of {trade_id}" + (f": {original.memo}" if original.memo else "")
    )
    reversal = counter_trade(original, roster, day, words)
    path = entry_file(day, reversal.payer, reversal.trade_id or new_trade_id(day))
    entry_text = reversal_text(original, reversal, rules.currency, rules.decimals)
    new_text, new = append_entries(coop.root, path, entry_text)
    warnings = check_write(coop, new, "reverse-refused", trade_id=trade_id)
    amount = format_amount(Decimal(original.amount), rules.decimals)
    message = f"reverse: {trade_id} ({reversal.payer} → {reversal.payee} {amount} {rules.currency})"
    line = int(new[0].meta["lineno"]) if new else None
    recorded = Trade(
        reversal.date,
        reversal.payer,
        reversal.payee,
        reversal.amount,
        reversal.memo,
        reversal.trade_id,
        reversal.category,
        path,
        line,
    )
    return Change({path: new_text}, message, author, tuple(warnings)), recorded


# ---------------------------------------------------------------- undo an import


def trade_ids_added(versions: Sequence[tuple[str | None, str | None]]) -> list[str]:
    """The trade ids a commit added: in the files it changed after it, and in
    none of them before (`versions` are their (before, after) texts). A trade a
    close moved from file to file is not added."""
    before = {t.trade_id for old, _ in versions for t in trades_of(_parsed(old))}
    after = {t.trade_id for _, new in versions for t in trades_of(_parsed(new))}
    return sorted(i for i in after - before if i)


def _parsed(text: str | None) -> list[data.Directive]:
    if not text:
        return []
    entries, _, _ = parser.parse_string(text)
    return list(entries)


def plan_undo_import(
    coop: Cooperative,
    commit: str,
    trade_ids: Sequence[str],
    *,
    day: datetime.date,
    author: Identity,
) -> tuple[Change, list[Trade]]:
    """The counter-entry of every trade `commit` added (an import), dated `day`,
    each linked to its original by `reverses:` as `plan_reverse` writes it, in
    one change: the journal stays append-only, so the gate accepts it."""
    rules, roster = usable(coop)
    if not trade_ids:
        raise CoopError("undo-not-an-import", commit=commit[:8])
    by_id = {t.trade_id: t for t in trades_of(coop.entries) if t.trade_id}
    reversed_by = {
        str(e.meta.get(REVERSES_KEY)): str(e.meta.get(TRADE_ID_KEY, ""))
        for e in coop.entries
        if isinstance(e, data.Transaction) and REVERSES_KEY in (e.meta or {})
    }
    texts: dict[str, str] = {}
    new: list[data.Directive] = []
    recorded: list[Trade] = []
    for trade_id in trade_ids:
        original = by_id.get(trade_id)
        if original is None:
            raise CoopError("unknown-trade", trade_id=trade_id, suggestion="")
        if trade_id in reversed_by:
            raise CoopError("undo-already-reversed", trade_id=trade_id, by=reversed_by[trade_id])
        words = f"undo of import {commit[:8]}: reversal of {trade_id}"
        reversal = counter_trade(original, roster, day, words)
        path = entry_file(day, reversal.payer, f"undo-{commit[:8]}")
        entry_text = reversal_text(original, reversal, rules.currency, rules.decimals)
        texts[path], parsed = append_entries(coop.root, path, entry_text, texts.get(path))
        new.extend(parsed)
        recorded.append(reversal)
    warnings = check_write(coop, new, "undo-refused", commit=commit[:8])
    volume = format_amount(sum((t.amount for t in recorded), Decimal(0)), rules.decimals)
    message = (
        f"import undo: {len(recorded)} trade(s) of {commit[:8]} reversed, {volume} {rules.currency}"
    )
    return Change(texts, message, author, tuple(warnings)), recorded
