"""Planning writes: every command that changes the cooperative goes through here.

A plan function takes the loaded `Cooperative` and what the user asked for,
validates it with the very checks of `coopledger.validation.checks` applied to the ledger
as it would be after the change, and returns a `Change` (new file contents and
a commit message) or raises `CoopError`. Nothing here touches the disk; the
store applies the change under its lock.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount.core import data

from coopledger.cache.snapshot import NeedsFullCheck, Snapshot, new_problems
from coopledger.git.gitrepo import Identity
from coopledger.model import clock
from coopledger.model.accounts import is_member_id, is_reserved_id
from coopledger.model.journal import Trade, as_trade, entry_file, format_trade, new_trade_id
from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.members import (
    MEMBERS_FILE,
    Member,
    Roster,
    parse_members,
    with_member_added,
    with_member_replaced,
)
from coopledger.model.money import format_amount, parse_amount, parse_limit, rounded
from coopledger.model.plaintext import checked_text
from coopledger.model.problems import CoopError, Problem, Severity
from coopledger.model.rules import Rules, check_horizon
from coopledger.model.timeline import BEGINNING, Timeline
from coopledger.plans.fees import levies_for
from coopledger.plans.writes import (  # noqa: F401 - usable, appended: where plans found them
    UNTRUSTED_CODES,
    append_entries,
    appended,
    problems_after,
    usable,
)
from coopledger.plans.writes import (
    new_problems as new_problems_of,
)
from coopledger.storage.store import Change, Cooperative
from coopledger.validation.checks import balance_at, check_ledger

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def known_member(roster: Roster, member_id: str) -> Member:
    member = roster.get(member_id)
    if member is None:
        close = difflib.get_close_matches(member_id, [m.id for m in roster], n=1)
        raise CoopError("unknown-member", member=member_id, suggestion=close[0] if close else "")
    return member


def choose_author(
    roster: Roster,
    as_member: str | None,
    git_email: str | None,
    treasurer_role: str = "treasurer",
    today: datetime.date | None = None,
) -> Identity:
    """Who signs the commit: the member git is set up as (`git_email`, by git's own
    rules: `gitrepo.configured_email`); `--as` a member only for a treasurer
    recording for someone, or on a machine where git has no identity. Never a
    stranger, never a treasurer by default, never a member suspended or gone
    `today` (a treasurer who left can no longer act for anyone)."""
    day = today or clock.today()
    acting = roster.by_email(git_email) if git_email else None
    if git_email and acting is None:
        raise CoopError("git-identity-not-member", email=git_email)
    if acting is not None:
        _may_write(acting, day, treasurer_role)
    if as_member:
        member = known_member(roster, as_member)
        if acting is not None and member.id != acting.id and not acting.has_role(treasurer_role):
            raise CoopError(
                "as-not-allowed",
                email=str(git_email),
                member=acting.id,
                other=member.id,
                role=treasurer_role,
            )
    elif acting is not None:
        member = acting
    else:
        raise CoopError("no-author")
    _may_write(member, day, treasurer_role)
    if not member.emails:
        raise CoopError("author-without-email", member=member.id)
    email = member.emails[0]
    if member is acting and git_email:  # the address git uses, as members.yaml spells it
        email = next(e for e in member.emails if e.lower() == git_email.strip().lower())
    return (member.name, email)


def _may_write(member: Member, day: datetime.date, treasurer_role: str) -> None:
    refused = member.writes_refused(day)
    if refused is not None:
        status, since = refused
        raise CoopError(
            "author-not-active",
            member=member.id,
            status=status,
            since=since,
            role=treasurer_role,
        )


def first_treasurer_author(roster: Roster, member: Member, treasurer_role: str) -> Identity | None:
    """Who signs the entry of a cooperative's first treasurer when no member can:
    the new treasurer, if the cooperative has no treasurer yet."""
    if roster.with_role(treasurer_role) or treasurer_role not in member.roles:
        return None
    return (member.name, member.emails[0]) if member.emails else None


def gate_warnings(
    roster: Roster,
    rules: Rules,
    author: Identity,
    path: str,
    entries: Iterable[data.Directive] = (),
) -> tuple[Problem, ...]:
    """What the pull-request gate (`gate.check_commits`, judged by `author`) will
    refuse in a commit adding `entries` to `path`, as warnings: the write goes on
    (a treasurer may merge it, or the member may want it on record), but the
    member knows before pushing. None for a treasurer."""
    role = rules.role("treasurer")
    member = roster.by_email(author[1])
    if member is None or member.has_role(role):
        return ()  # the gate's rules not even imported (a warm trade by a treasurer)
    from coopledger.review.gate import claim_of, is_protected

    params = {"author_member": member.id, "role": role}
    if is_protected(path):
        return (Problem("write-gate-protected-file", path, None, params, Severity.WARNING),)
    found = []
    for entry in entries:
        claim = claim_of(entry)
        line = entry.meta.get("lineno") if entry.meta else None
        others = [m for m in claim.members if m != member.id]
        if claim.treasurer_only:
            found.append(
                Problem(
                    "write-gate-treasurer-only",
                    path,
                    line,
                    {**params, "kind": claim.kind},
                    Severity.WARNING,
                )
            )
        elif others:
            found.append(
                Problem(
                    "write-gate-not-creditor"
                    if claim.kind == "invoice"
                    else "write-gate-not-payer",
                    path,
                    line,
                    {**params, "member": tuple(others)},
                    Severity.WARNING,
                )
            )
    return tuple(found)


def gate_warnings_of(coop: Cooperative, change: Change) -> tuple[Problem, ...]:
    """`gate_warnings` for every file `change` writes, with the entries it adds
    (compared with the files on disk, as the gate compares a commit's)."""
    if coop.rules is None or coop.roster is None:
        return ()
    member = coop.roster.by_email(change.author[1])
    if member is None or member.has_role(coop.rules.role("treasurer")):
        return ()
    from coopledger.review.gate import entry_changes, is_gated, is_journal_file

    found: list[Problem] = []
    for path, text in sorted(change.files.items()):
        if not is_gated(path):
            continue
        added = []
        if is_journal_file(path):
            old = coop.root / path
            before = old.read_text(encoding="utf-8") if old.is_file() else None
            added = [item.entry for item in entry_changes(before, text, path)[0]]
        found += gate_warnings(coop.roster, coop.rules, change.author, path, added)
    return tuple(found)


def checked_trade(
    rules: Rules,
    roster: Roster,
    *,
    payer: str,
    payee: str,
    amount: str,
    day: datetime.date,
    memo: str = "",
    category: str | None = None,
    trade_id: str | None = None,
) -> Trade:
    """The trade a user asked for, or CoopError: members, amount, date, text,
    category, statuses.

    Shared by `plan_trade` and the CSV import; the ledger checks come after.
    """
    payer_member = known_member(roster, payer)
    payee_member = known_member(roster, payee)
    if payer == payee:
        raise CoopError("same-member", member=payer)
    value = parse_amount(amount, rules.decimals)
    check_horizon(day, rules, clock.today())
    checked_text(memo, "memo")
    if category is not None:
        checked_text(category, "category")
    if category is not None and rules.categories and category not in rules.categories:
        raise CoopError(
            "unknown-category", category=category, categories=", ".join(rules.categories)
        )
    for member in (payer_member, payee_member):
        status = member.status_at(day)
        if status != "active":
            raise CoopError("member-not-active-on", member=member.id, status=status, date=day)
    trade_id = trade_id or new_trade_id(day)
    levies = levies_for(rules, payer, payee, value)  # rules.yaml `levy:`, in the same entry
    return Trade(day, payer, payee, value, memo.strip(), trade_id, category, levies=levies)


@dataclass(frozen=True)
class PlannedTrade:
    """A trade ready to be written: the change, the trade and its parsed entry."""

    change: Change
    trade: Trade
    entry: data.Transaction


def _trade_entry(
    rules: Rules, roster: Roster, root: Path, trade: Trade
) -> tuple[str, str, data.Transaction, Trade]:
    """The file, its new text and the parsed entry (with its future line) for `trade`."""
    path = entry_file(trade.date, trade.payer, trade.trade_id or new_trade_id(trade.date))
    entry_text = format_trade(trade, rules.currency, rules.decimals)
    new_text, entries = append_entries(root, path, entry_text)
    entry = entries[0]
    assert len(entries) == 1 and isinstance(entry, data.Transaction), entries
    parsed = as_trade(entry)
    assert parsed is not None and parsed.amount == trade.amount, "round trip"
    assert parsed.payer == trade.payer and parsed.levies == trade.levies, "round trip"
    return path, new_text, entry, replace(trade, file=path, line=parsed.line)


def _trade_message(trade: Trade, rules: Rules) -> str:
    text_amount = format_amount(trade.amount, rules.decimals)
    message = f"trade: {trade.payer} → {trade.payee} {text_amount} {rules.currency}"
    if trade.memo:
        message += f" — {trade.memo}"
    if trade.levies:
        levied = sum((levy.amount for levy in trade.levies), Decimal(0))
        message += f" (levy {format_amount(levied, rules.decimals)} {rules.currency})"
    return message


def _planned(
    rules: Rules,
    trade: Trade,
    path: str,
    new_text: str,
    entry: data.Transaction,
    new_problems: Iterable[Problem],
    author: Identity,
    roster: Roster,
) -> PlannedTrade:
    new = sorted(new_problems, key=Problem.sort_key)  # one order, whichever route found them
    errors = [p for p in new if p.is_error]
    if errors:
        raise CoopError("trade-refused", problems=tuple(errors))
    warnings = tuple(p for p in new if not p.is_error)
    warnings += gate_warnings(roster, rules, author, path, [entry])
    change = Change({path: new_text}, _trade_message(trade, rules), author, warnings)
    return PlannedTrade(change, trade, entry)


def plan_trade(
    coop: Cooperative,
    *,
    payer: str,
    payee: str,
    amount: str,
    day: datetime.date,
    memo: str = "",
    category: str | None = None,
    author: Identity,
) -> PlannedTrade:
    """A trade checked against the whole ledger, as `coopledger check` would."""
    rules, roster = usable(coop)
    trade = checked_trade(
        rules,
        roster,
        payer=payer,
        payee=payee,
        amount=amount,
        day=day,
        memo=memo,
        category=category,
    )
    path, new_text, entry, trade = _trade_entry(rules, roster, coop.root, trade)
    errors, warnings = problems_after(coop, [entry])
    new = [*errors, *warnings]
    return _planned(rules, trade, path, new_text, entry, new, author, roster)


def plan_trade_fast(state: Snapshot, *, author: Identity, **asked: Any) -> PlannedTrade:
    """The same trade (same arguments as `plan_trade`) checked incrementally
    against a valid snapshot; `snapshot.NeedsFullCheck` when only the full check
    can decide."""
    rules, roster = state.rules, state.roster
    if any(p.code in UNTRUSTED_CODES or p.code.startswith("yaml") for p in state.problems):
        raise NeedsFullCheck("the files have problems")
    trade = checked_trade(rules, roster, **asked)
    path, new_text, entry, trade = _trade_entry(rules, roster, state.root, trade)
    new, _ = new_problems(state, entry)
    return _planned(rules, trade, path, new_text, entry, new, author, roster)


def current_balance(coop: Cooperative, member_id: str) -> Decimal:
    return balance_at(coop.history.get(member_id, ()), None)


# ---------------------------------------------------------------- members


def validate_member_id(member_id: str) -> None:
    if not is_member_id(member_id):
        raise CoopError("bad-member-id", member=member_id)
    if is_reserved_id(member_id):
        raise CoopError("member-id-reserved", member=member_id)


def validate_emails(emails: Sequence[str]) -> None:
    for email in emails:
        if not EMAIL.fullmatch(email):
            raise CoopError("bad-email", value=email)


def _members_change(coop: Cooperative, new_text: str, message: str, author: Identity) -> Change:
    rules, _ = usable(coop)
    roster, problems = parse_members(new_text, rules)
    if roster is None:
        raise CoopError("change-refused", problems=tuple(problems))
    after = check_ledger(coop.entries, roster, rules, str(coop.root))
    errors, warnings = new_problems_of(coop, after)
    if errors:
        raise CoopError("change-refused", problems=tuple(errors))
    return Change({MEMBERS_FILE: new_text}, message, author, tuple(warnings))


def plan_member_add(coop: Cooperative, member: Member, author: Identity) -> Change:
    rules, roster = usable(coop)
    validate_member_id(member.id)
    if roster.get(member.id) is not None:
        raise CoopError("member-exists", member=member.id)
    if member.kind not in rules.kinds:
        raise CoopError("bad-kind", kind=member.kind, kinds=", ".join(rules.kinds))
    validate_emails(member.emails)
    checked_text(member.name, "name")
    check_horizon(member.joined, rules, clock.today())
    text = (coop.root / MEMBERS_FILE).read_text(encoding="utf-8")
    new_text = with_member_added(text, member, rules.decimals)
    return _members_change(coop, new_text, f"member: add {member.id} ({member.name})", author)


def plan_member_status(
    coop: Cooperative, member_id: str, status: str, day: datetime.date, author: Identity
) -> Change:
    rules, roster = usable(coop)
    member = known_member(roster, member_id)
    check_horizon(day, rules, clock.today())
    if status == "left":
        _check_can_leave(coop, member_id, day, rules)
    text = (coop.root / MEMBERS_FILE).read_text(encoding="utf-8")
    new_text = with_member_replaced(text, member.with_status(day, status), rules.decimals)
    verb = {"active": "reactivate", "suspended": "suspend", "left": "leave"}[status]
    return _members_change(
        coop, new_text, f"member: {verb} {member_id} from {day.isoformat()}", author
    )


def _check_can_leave(coop: Cooperative, member_id: str, day: datetime.date, rules: Rules) -> None:
    """CoopError unless the member's balance is zero for good by `day` (a trade
    dated `day` itself is the member's last); the refusal names a day that works."""
    series = coop.history.get(member_id, ())
    balance = balance_at(series, None)
    if balance != 0:
        raise CoopError(
            "balance-not-zero",
            member=member_id,
            balance=rounded(balance, rules.decimals),
            currency=rules.currency,
        )
    later = [point.date for point in series if point.date > day]
    if later:
        raise CoopError("leave-before-last-trade", member=member_id, date=day, last=max(later))


# ---------------------------------------------------------------- limits over time


def limit_from(
    timeline: Timeline[Decimal] | None, joined: datetime.date, day: datetime.date, value: Decimal
) -> Timeline[Decimal]:
    """`timeline` with `value` in force from `day` on; what held before `day` is kept.

    A limit that held "from the beginning" is dated from the member's joining day,
    so members.yaml reads `{2024-01-01: -500.00, 2026-12-01: -600.00}`.
    """
    changes = timeline.changes if timeline is not None else ()
    later = tuple((d, v) for d, v in changes if d > day)
    if day <= joined:
        return Timeline(((BEGINNING, value), *later))
    before = tuple((joined if d == BEGINNING else d, v) for d, v in changes if d < day)
    return Timeline((*before, (day, value), *later))


def plan_member_limit(
    coop: Cooperative,
    member_id: str,
    *,
    floor: str | None,
    ceiling: str | None,
    day: datetime.date,
    author: Identity,
) -> Change:
    """A dated change of a member's floor and/or ceiling in members.yaml.

    Trades before `day` keep being judged by the limits in force on their date;
    if a trade already recorded on or after `day` would break the new limit,
    the change is refused.
    """
    rules, roster = usable(coop)
    member = known_member(roster, member_id)
    if floor is None and ceiling is None:
        raise CoopError("limit-nothing-to-change", member=member_id)
    check_horizon(day, rules, clock.today())
    changed = member
    if floor is not None:
        value = parse_limit(floor, rules.decimals)
        changed = replace(changed, floor=limit_from(member.floor, member.joined, day, value))
    if ceiling is not None:
        value = parse_limit(ceiling, rules.decimals)
        changed = replace(changed, ceiling=limit_from(member.ceiling, member.joined, day, value))
    new_floor, new_ceiling = floor_at(changed, rules, day), ceiling_at(changed, rules, day)
    same: list[tuple[str, Decimal | None]] = [
        (which, now)
        for which, given, now, before in (
            ("floor", floor, new_floor, floor_at(member, rules, day)),
            ("ceiling", ceiling, new_ceiling, ceiling_at(member, rules, day)),
        )
        if given is not None and now == before
    ]
    if len(same) == (floor is not None) + (ceiling is not None):  # nothing would change
        which, held = same[0]
        raise CoopError(
            "limit-unchanged",
            member=member_id,
            which=which,
            date=day.isoformat(),
            value=format_amount(held if held is not None else Decimal(0), rules.decimals),
            currency=rules.currency,
        )
    if new_floor is not None and new_ceiling is not None and new_floor > new_ceiling:
        raise CoopError(
            "limit-floor-above-ceiling",
            member=member_id,
            floor=rounded(new_floor, rules.decimals),
            ceiling=rounded(new_ceiling, rules.decimals),
            date=day,
            currency=rules.currency,
        )
    text = (coop.root / MEMBERS_FILE).read_text(encoding="utf-8")
    new_text = with_member_replaced(text, changed, rules.decimals)
    what = [
        f"{name} {format_amount(parse_limit(given, rules.decimals), rules.decimals)}"
        for name, given in (("floor", floor), ("ceiling", ceiling))
        if given is not None
    ]
    message = f"member: limit {member_id} {', '.join(what)} from {day.isoformat()}"
    return _members_change(coop, new_text, message, author)
