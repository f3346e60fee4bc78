"""Trading between cooperatives: inter-group trades, syncs, checks, clearing.

Each cooperative keeps its own book in its own repository. A trade between a
member here and a member of a partner group is written twice:

- the *origin*, here, by the paying member (`coopledger trade alice sel-b/zoe 40`):
  alice pays the partner's account, within her limits and the trust line;
- the *mirror*, in the partner's book, by its treasurer (`coopledger partner sync
  sel-a`): the account of this cooperative there pays zoe, converted at the rate.

Both carry the same trade id. `check_pair` proves the two books agree;
`plan_clearing` cancels the debts that run in cycles among groups with the
min-cost-flow set-off of `coopledger.setoff.clearing`. Nothing here talks to git or
to the terminal: the partner's files come in as texts (`coopledger.git.gitrepo`
fetched them), and plans and problems go out as values.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from beancount.core import data
from beancount.parser import parser

from coopledger.git.gitrepo import Identity
from coopledger.intergroup.partners import (
    FEDERATION_KEY,
    PARTNER_COMMIT_KEY,
    PARTNER_FILE_NAME,
    PARTNER_KEY,
    PARTNER_MEMBER_KEY,
    PARTNERS_FILE,
    RATE_KEY,
    GroupEntry,
    Partner,
    Partners,
    convert,
    group_entries,
    line_problem,
    parse_partners,
    parse_rate,
    position,
    rates_agree,
    rules_with_account,
    slug,
    with_partner_added,
)
from coopledger.model import clock
from coopledger.model.accounts import is_member_id, member_account
from coopledger.model.journal import entry_file, entry_path, new_trade_id, quote_string
from coopledger.model.members import MEMBERS_FILE, Roster, parse_members
from coopledger.model.money import format_amount, parse_amount, parse_limit
from coopledger.model.plaintext import checked_text
from coopledger.model.problems import CoopError, Param, Problem, Severity
from coopledger.model.rules import RULES_FILE, Rules, check_horizon, parse_rules
from coopledger.plans.changes import appended, known_member, usable
from coopledger.storage.store import Change, Cooperative, last_closed_month
from coopledger.validation.checks import check_ledger

PARTNER_BOOK_PATHS = (RULES_FILE, MEMBERS_FILE, "journal")  # what is read of a partner's commit

# ---------------------------------------------------------------- reading


def partners_text(root: Path) -> str | None:
    """partners.yaml's text, None when there is none; CoopError for a link (it
    could point anywhere on the machine) or bytes that are not UTF-8."""
    path = root / PARTNERS_FILE
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise CoopError("partner-file-not-regular", file=PARTNERS_FILE)
    if not path.exists():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CoopError("partner-file-not-regular", file=PARTNERS_FILE) from None


def read_partners(coop: Cooperative) -> Partners:
    """The partners of a loaded cooperative, or CoopError with partners.yaml's problems."""
    rules, _ = usable(coop)
    partners, problems = parse_partners(partners_text(coop.root), rules)
    if problems:
        raise CoopError("ledger-has-problems", problems=tuple(problems))
    return partners


def known_partner(partners: Partners, partner_id: str) -> Partner:
    partner = partners.get(partner_id)
    if partner is None:
        known = ", ".join(p.id for p in partners) or "none"
        raise CoopError("unknown-partner", partner=partner_id, known=known)
    return partner


def partner_problems(
    text: str | None, rules: Rules, balances: Mapping[str, Decimal]
) -> list[Problem]:
    """partners.yaml's problems (`text`) and every trust line the journal breaks
    (`balances`: of the cooperative's own accounts), as `coopledger check`
    reports them: the journal may be edited by hand, past `trade`'s checks."""
    partners, problems = parse_partners(text, rules)
    for partner in partners:
        owed = -balances.get(partner.account, Decimal(0))
        broken = line_problem(partner, owed, rules.decimals)
        if broken is not None:
            problems.append(Problem(broken[0], PARTNERS_FILE, partner.line, broken[1]))
    return problems


# ---------------------------------------------------------------- partner add


def plan_partner_add(
    coop: Cooperative,
    *,
    partner_id: str,
    name: str,
    repo: str,
    floor: str,
    ceiling: str,
    rate: str,
    known_as: str | None,
    author: Identity,
) -> Change:
    """partners.yaml with a new partner, and its account in rules.yaml."""
    rules, roster = usable(coop)
    partners = read_partners(coop)
    if not is_member_id(partner_id) or (known_as is not None and not is_member_id(known_as)):
        wrong = partner_id if not is_member_id(partner_id) else str(known_as)
        raise CoopError("partner-bad-id", partner=wrong)
    if partners.get(partner_id) is not None or roster.get(partner_id) is not None:
        raise CoopError("partner-exists", partner=partner_id)
    checked_text(name, "name")
    checked_text(repo, "repo")
    if not repo.strip() or repo.startswith("-"):
        raise CoopError("partner-bad-repo", repo=repo)
    low = parse_limit(floor, rules.decimals)
    high = parse_limit(ceiling, rules.decimals)
    if low > 0:
        raise CoopError("partner-bad-line", key="--floor", value=floor)
    if high < 0:
        raise CoopError("partner-bad-line", key="--ceiling", value=ceiling)
    parsed_rate = parse_rate(rate)
    if parsed_rate is None:
        raise CoopError("partner-bad-rate", value=rate)
    partner = Partner(
        partner_id, name or partner_id, repo, known_as or slug(rules.name), low, high, parsed_rate
    )
    new_text = with_partner_added(partners_text(coop.root), partner, rules.decimals)
    rules_text = rules_with_account((coop.root / RULES_FILE).read_text(encoding="utf-8"), partner)
    if rules_text is None:
        raise CoopError("partner-rules-accounts", account=partner.account)
    new_rules, problems = parse_rules(rules_text)
    if new_rules is None or problems:
        raise CoopError("partner-refused", problems=tuple(problems))
    _, problems = parse_partners(new_text, new_rules)
    if problems:
        raise CoopError("partner-refused", problems=tuple(problems))
    return Change(
        {PARTNERS_FILE: new_text, RULES_FILE: rules_text},
        f"partner add: {partner_id} ({partner.name}), trust line "
        f"{format_amount(low, rules.decimals)} to {format_amount(high, rules.decimals)} "
        f"{rules.currency}",
        author,
    )


# ---------------------------------------------------------------- positions


@dataclass(frozen=True)
class PartnerRow:
    partner: Partner
    position: Decimal  # what the partner owes this cooperative

    @property
    def may_owe(self) -> Decimal:
        """How much more this cooperative may come to owe the partner."""
        return max(self.position - self.partner.floor, Decimal(0))

    @property
    def may_be_owed(self) -> Decimal:
        """How much more the partner may come to owe this cooperative."""
        return max(self.partner.ceiling - self.position, Decimal(0))


def partner_rows(coop: Cooperative, partners: Partners) -> list[PartnerRow]:
    return [PartnerRow(p, position(coop.entries, p)) for p in partners]


# ---------------------------------------------------------------- trades


def split_partner_member(text: str) -> tuple[str, str] | None:
    """`sel-b/zoe` -> ("sel-b", "zoe"); None when `text` names no partner's member."""
    if "/" not in text:
        return None
    partner_id, _, member = text.partition("/")
    return partner_id, member


def _entry_text(
    day: datetime.date,
    memo: str,
    meta: Sequence[tuple[str, str]],
    postings: Sequence[tuple[str, Decimal]],
    rules: Rules,
) -> str:
    width = max(len(account) for account, _ in postings) + 2
    lines = [f"{day.isoformat()} * {quote_string(memo or 'trade')}"]
    lines += [f"  {key}: {quote_string(value)}" for key, value in meta]
    for account, amount in postings:
        lines.append(
            f"  {account:<{width}}{format_amount(amount, rules.decimals):>14} {rules.currency}"
        )
    return "\n".join(lines) + "\n"


def _parsed(text: str, first_line: int, filename: str) -> data.Transaction:
    entries, errors, _ = parser.parse_string(text, report_filename=filename)
    assert not errors and len(entries) == 1, errors
    entry = entries[0]
    assert isinstance(entry, data.Transaction)
    meta = dict(entry.meta)
    meta["lineno"] = meta["lineno"] + first_line - 1
    return entry._replace(meta=meta)


def _appended_entry(root_text: str, entry_text: str, filename: str) -> tuple[str, data.Transaction]:
    new_text = appended(root_text, entry_text)
    first_line = new_text[: len(new_text) - len(entry_text)].count("\n") + 1
    return new_text, _parsed(entry_text, first_line, filename)


def _new_errors(
    coop: Cooperative, entries: Sequence[data.Directive], roster: Roster, rules: Rules
) -> list[Problem]:
    after = check_ledger([*coop.entries, *entries], roster, rules, str(coop.root))
    before = {p.key() for p in coop.problems}
    return [p for p in after if p.is_error and p.key() not in before]


@dataclass(frozen=True)
class PlannedGroupTrade:
    change: Change
    trade_id: str
    amount: Decimal
    partner_amount: Decimal
    position: Decimal  # after the trade


def plan_group_trade(
    coop: Cooperative,
    *,
    payer: str,
    partner_id: str,
    partner_member: str,
    amount: str,
    day: datetime.date,
    memo: str = "",
    author: Identity,
) -> PlannedGroupTrade:
    """`payer` here pays `partner_member` of the partner: the origin entry, checked
    against the payer's limits and the partner's trust line."""
    rules, roster = usable(coop)
    partner = known_partner(read_partners(coop), partner_id)
    member = known_member(roster, payer)
    if not is_member_id(partner_member):
        raise CoopError("partner-bad-member", member=partner_member, partner=partner_id)
    value = parse_amount(amount, rules.decimals)
    check_horizon(day, rules, clock.today())
    checked_text(memo, "memo")
    status = member.status_at(day)
    if status != "active":
        raise CoopError("member-not-active-on", member=payer, status=status, date=day.isoformat())
    after = position(coop.entries, partner) - value
    broken = line_problem(partner, after, rules.decimals)
    if broken is not None:
        raise CoopError(
            "trade-refused", problems=(Problem(broken[0], PARTNERS_FILE, partner.line, broken[1]),)
        )
    trade_id = new_trade_id(day)
    meta = [
        ("trade", trade_id),
        (PARTNER_KEY, partner.id),
        (PARTNER_MEMBER_KEY, partner_member),
        (RATE_KEY, str(partner.rate)),
    ]
    postings = [(member_account(payer), -value), (partner.account, value)]
    text = _entry_text(day, memo.strip(), meta, postings, rules)
    path = entry_file(day, payer, trade_id)
    old = (coop.root / path).read_text(encoding="utf-8") if (coop.root / path).exists() else ""
    new_text, entry = _appended_entry(old, text, str(coop.root / path))
    errors = _new_errors(coop, [entry], roster, rules)
    if errors:
        raise CoopError("trade-refused", problems=tuple(sorted(errors, key=Problem.sort_key)))
    converted = convert(value, partner.rate, rules.decimals)
    message = (
        f"trade: {payer} → {partner.id}/{partner_member} "
        f"{format_amount(value, rules.decimals)} {rules.currency}"
        + (f" — {memo.strip()}" if memo.strip() else "")
    )
    return PlannedGroupTrade(
        Change({path: new_text}, message, author), trade_id, value, converted, after
    )


# ---------------------------------------------------------------- the partner's book


@dataclass(frozen=True)
class PartnerBook:
    """What was read of a partner's repository at one commit."""

    commit: str
    rules: Rules | None
    roster: Roster | None
    entries: list[data.Directive]


def read_partner_book(commit: str, texts: Mapping[str, str]) -> PartnerBook:
    """The partner's rules, members and journal entries from the files of a
    commit (`texts`: path -> text). Only beancount's parser reads them: no
    plugin, no include, nothing of theirs runs here."""
    rules = roster = None
    if RULES_FILE in texts:
        rules, _ = parse_rules(texts[RULES_FILE])
    if rules is not None and MEMBERS_FILE in texts:
        roster, _ = parse_members(texts[MEMBERS_FILE], rules)
    entries: list[data.Directive] = []
    for path in sorted(texts):
        if path.startswith("journal/") and path.endswith(".beancount"):
            found, _, _ = parser.parse_string(texts[path], report_filename=path)
            entries.extend(found)
    return PartnerBook(commit, rules, roster, entries)


def _as_seen_there(partner: Partner) -> Partners:
    """This cooperative as the partner's book names it: its account there."""
    us = Partner(partner.known_as, "", "", partner.id, Decimal(0), Decimal(0), partner.rate)
    return Partners((us,))


def entries_there(book: PartnerBook, partner: Partner) -> list[GroupEntry]:
    """The partner's inter-group entries with this cooperative."""
    return list(group_entries(book.entries, _as_seen_there(partner)))


# ---------------------------------------------------------------- the gate


def _entries_of(texts: Mapping[str, str]) -> list[data.Directive]:
    entries: list[data.Directive] = []
    for path in sorted(texts):
        if path.endswith(".beancount"):
            entries.extend(parser.parse_string(texts[path], report_filename=path)[0])
    return entries


def _mirror_key(g: GroupEntry) -> tuple[object, ...]:
    return (g.partner, g.trade_id, g.date, g.member, g.partner_member, g.amount, g.mirror_of)


def changed_mirrors(
    before: Sequence[data.Directive], after: Sequence[data.Directive], partners: Partners
) -> list[GroupEntry]:
    """The mirror entries of `after` that `before` does not hold as they are."""
    old = {_mirror_key(g) for g in group_entries(before, partners) if g.is_mirror}
    return [g for g in group_entries(after, partners) if g.is_mirror and _mirror_key(g) not in old]


def verify_mirror(
    mirror: GroupEntry, partner: Partner, book: PartnerBook | None, decimals: int
) -> Problem | None:
    """Whether a mirror copies an origin of the partner's book at the commit it
    names (`book`; None when that commit is not here: unverified, a warning)."""
    params = {"trade_id": mirror.trade_id, "partner": partner.id, "commit": mirror.mirror_of or ""}
    if book is None:
        return Problem(
            "partner-mirror-unverified", mirror.file, mirror.line, params, Severity.WARNING
        )
    origin = next(
        (
            g
            for g in entries_there(book, partner)
            if not g.is_mirror and g.trade_id == mirror.trade_id
        ),
        None,
    )
    if origin is None:
        return Problem("partner-mirror-without-origin", mirror.file, mirror.line, params)
    expected = convert(origin.amount, origin.rate, decimals)
    if (expected, origin.partner_member, origin.member, origin.date) != (
        mirror.amount,
        mirror.member,
        mirror.partner_member,
        mirror.date,
    ):
        return Problem("partner-mirror-not-origin", mirror.file, mirror.line, params)
    return None


def mirror_problems(root: Path, base: str, rules: Rules) -> list[Problem]:
    """For the gate (`check --since`/`--rev`): each mirror entry added or changed
    since `base` must copy an origin of the partner's repository at the commit it
    names. That commit is read only if it is here already, fetched by `partner
    sync` or `partner check` into the partner's ref (the gate fetches nothing);
    otherwise the mirror is reported unverified (a warning)."""
    from coopledger.git import gitrepo
    from coopledger.storage.store import journal_file_names

    try:
        partners, problems = parse_partners(partners_text(root), rules)
    except CoopError:
        return []  # `check` reports the file itself
    if problems or not partners.partners:
        return []
    repo = gitrepo.open_repo(root)
    before = _entries_of(gitrepo.texts_at(repo, base, ["journal"]))
    now: dict[str, str] = {}
    for name in journal_file_names(root):
        relative = Path(name).relative_to(root).as_posix()
        now[relative] = Path(name).read_text(encoding="utf-8", errors="surrogateescape")
    found: list[Problem] = []
    books: dict[tuple[str, str], PartnerBook | None] = {}
    for mirror in changed_mirrors(before, _entries_of(now), partners):
        partner = partners.get(mirror.partner)
        assert partner is not None and mirror.mirror_of is not None
        key = (partner.id, mirror.mirror_of)
        if key not in books:
            here = gitrepo.fetched_from(repo, mirror.mirror_of, gitrepo.partner_ref(partner.id))
            books[key] = (
                read_partner_book(
                    mirror.mirror_of, gitrepo.texts_at(repo, mirror.mirror_of, PARTNER_BOOK_PATHS)
                )
                if here
                else None
            )
        problem = verify_mirror(mirror, partner, books[key], rules.decimals)
        if problem is not None:
            found.append(problem)
    return found


# ---------------------------------------------------------------- sync


@dataclass(frozen=True)
class Refusal:
    trade_id: str
    date: datetime.date
    member: str
    amount: Decimal
    problem: Problem


@dataclass
class SyncPlan:
    partner: Partner
    commit: str
    accepted: list[GroupEntry] = field(default_factory=list)  # as mirrors of this book
    refused: list[Refusal] = field(default_factory=list)
    already: int = 0
    change: Change | None = None
    texts: dict[str, str] = field(default_factory=dict)  # the files the mirrors go to


def plan_sync(coop: Cooperative, partner_id: str, book: PartnerBook, author: Identity) -> SyncPlan:
    """The mirrors of the partner's trades with members here, not recorded yet,
    each checked against the members' limits, the trust line and the rate.

    The ledger is checked once with every mirror; a mirror an error points at is
    refused and the rest checked again, so a sync costs one check when all hold."""
    rules, roster = usable(coop)
    partner = known_partner(read_partners(coop), partner_id)
    excluded: dict[str, Problem] = {}
    while True:
        plan, added, where = _sync_pass(coop, partner, book, excluded, rules, roster)
        errors = _new_errors(coop, added, roster, rules)
        if not errors:
            break
        hit = {where[key]: p for p in reversed(errors) if (key := (p.file, p.line)) in where}
        if not hit:  # an error of the whole ledger: the last mirror goes, until none is left
            hit = {plan.accepted[-1].trade_id: errors[0]}
        excluded.update(hit)
    if plan.accepted:
        total = sum((g.amount for g in plan.accepted), Decimal(0))
        plan.change = Change(
            plan.texts,
            f"partner sync: {len(plan.accepted)} trade(s) from {partner.id} at "
            f"{book.commit[:12]} ({format_amount(total, rules.decimals)} {rules.currency})",
            author,
        )
    return plan


def _sync_pass(
    coop: Cooperative,
    partner: Partner,
    book: PartnerBook,
    excluded: Mapping[str, Problem],
    rules: Rules,
    roster: Roster,
) -> tuple[SyncPlan, list[data.Directive], dict[tuple[str | None, int | None], str]]:
    """One pass of `plan_sync`: the mirrors that pass every check but the
    ledger's, their entries, and which trade each entry's (file, line) is."""
    plan = SyncPlan(partner, book.commit)
    ours = {g.trade_id for g in group_entries(coop.entries, Partners((partner,))) if g.is_mirror}
    origins = [g for g in entries_there(book, partner) if not g.is_mirror]
    origins.sort(key=lambda g: (g.date, g.trade_id))
    closed = last_closed_month(coop.root)
    added: list[data.Directive] = []
    where: dict[tuple[str | None, int | None], str] = {}
    pos = position(coop.entries, partner)
    seen: set[str] = set()
    for origin in origins:
        if origin.trade_id in ours:
            plan.already += 1
            continue
        amount = convert(origin.amount, origin.rate, rules.decimals)
        if not origin.trade_id or origin.trade_id in seen:
            _refuse(plan, origin, amount, "partner-sync-no-id")
            continue
        seen.add(origin.trade_id)
        if origin.trade_id in excluded:
            problem = excluded[origin.trade_id]
            _refuse(plan, origin, amount, problem.code, **dict(problem.params))
            continue
        if not rates_agree(partner.rate, origin.rate):
            theirs, ours_rate = str(origin.rate), str(partner.rate)
            _refuse(plan, origin, amount, "partner-rate-differs", theirs=theirs, ours=ours_rate)
            continue
        if roster.get(origin.partner_member) is None:
            member = origin.partner_member
            _refuse(plan, origin, amount, "partner-sync-unknown-member", member=member)
            continue
        if closed is not None and origin.date.strftime("%Y-%m") <= closed:
            day = origin.date.isoformat()
            _refuse(plan, origin, amount, "partner-sync-closed-month", date=day, month=closed)
            continue
        broken = line_problem(partner, pos + amount, rules.decimals)
        if broken is not None:
            _refuse(plan, origin, amount, broken[0], **broken[1])
            continue
        meta = [
            ("trade", origin.trade_id),
            (PARTNER_KEY, partner.id),
            (PARTNER_MEMBER_KEY, origin.member),
            (RATE_KEY, str(origin.rate)),
            (PARTNER_COMMIT_KEY, book.commit),
        ]
        postings = [(partner.account, -amount), (member_account(origin.partner_member), amount)]
        text = _entry_text(origin.date, origin.memo, meta, postings, rules)
        path = entry_path(origin.date, PARTNER_FILE_NAME)
        if path not in plan.texts:
            disk = coop.root / path
            plan.texts[path] = disk.read_text(encoding="utf-8") if disk.exists() else ""
        plan.texts[path], entry = _appended_entry(plan.texts[path], text, str(coop.root / path))
        added.append(entry)
        where[(path, entry.meta.get("lineno"))] = origin.trade_id
        pos += amount
        mirror = GroupEntry(
            origin.trade_id, origin.date, partner.id, origin.partner_member, origin.member,
            amount, origin.rate, book.commit, origin.memo, path, entry.meta.get("lineno"),
        )  # fmt: skip
        plan.accepted.append(mirror)
    return plan, added, where


def _refuse(
    plan: SyncPlan, origin: GroupEntry, amount: Decimal, code: str, **params: Param
) -> None:
    where = f"{plan.partner.id}:{origin.file}" if origin.file else plan.partner.id
    problem = Problem(code, where, origin.line, {"trade_id": origin.trade_id, **params})
    plan.refused.append(
        Refusal(origin.trade_id, origin.date, origin.partner_member, amount, problem)
    )


# ---------------------------------------------------------------- check


def check_pair(coop: Cooperative, partner: Partner, book: PartnerBook) -> list[Problem]:
    """Every disagreement between the two books' inter-group entries: an entry
    without its counterpart, an amount that is not the other's after the rate,
    members or dates that differ."""
    rules, _ = usable(coop)
    theirs_decimals = book.rules.decimals if book.rules is not None else rules.decimals
    ours = list(group_entries(coop.entries, Partners((partner,))))
    theirs = entries_there(book, partner)
    problems: list[Problem] = []
    root = str(coop.root)
    for here, there, other_decimals, where_here, where_there in (
        (ours, theirs, theirs_decimals, "", f"{partner.id}:"),
        (theirs, ours, rules.decimals, f"{partner.id}:", ""),
    ):
        mirrors = {g.trade_id: g for g in there if g.is_mirror}
        for origin in (g for g in here if not g.is_mirror):
            file = where_here + _relative(origin.file, root)
            mirror = mirrors.pop(origin.trade_id, None)
            params = {"trade_id": origin.trade_id, "partner": partner.id}
            if mirror is None:
                side = "the partner's book" if where_there else "this book"
                problems.append(
                    Problem("partner-mirror-missing", file, origin.line, {**params, "side": side})
                )
                continue
            expected = convert(origin.amount, origin.rate, other_decimals)
            mirror_file = where_there + _relative(mirror.file, root)
            if mirror.amount != expected:
                problems.append(
                    Problem(
                        "partner-amount-differs",
                        mirror_file,
                        mirror.line,
                        {
                            **params,
                            "amount": format_amount(mirror.amount, other_decimals),
                            "expected": format_amount(expected, other_decimals),
                        },
                    )
                )
            if (mirror.member, mirror.partner_member, mirror.date) != (
                origin.partner_member,
                origin.member,
                origin.date,
            ):
                problems.append(Problem("partner-entry-differs", mirror_file, mirror.line, params))
        for mirror in mirrors.values():
            problems.append(
                Problem(
                    "partner-origin-missing",
                    where_there + _relative(mirror.file, root),
                    mirror.line,
                    {"trade_id": mirror.trade_id, "partner": partner.id},
                )
            )
    problems += _clearing_problems(coop, partner, book, rules.decimals, theirs_decimals)
    return sorted(problems, key=Problem.sort_key)


@dataclass(frozen=True)
class ClearingLeg:
    """What one book's entry of a clearing among groups (`federation` key) moves
    one partner's account by, in that book's units."""

    clearing_id: str
    amount: Decimal
    file: str
    line: int | None


def clearing_legs(
    entries: Iterable[data.Directive], account: str, where: str, root: str
) -> tuple[dict[str, ClearingLeg], list[ClearingLeg]]:
    """The legs on `account` of every clearing entry, by clearing id, and the
    legs of an id met a second time. `where` prefixes each file (the partner's
    id and a colon for the partner's book)."""
    found: dict[str, ClearingLeg] = {}
    twice: list[ClearingLeg] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction) or FEDERATION_KEY not in (entry.meta or {}):
            continue
        amount = sum(
            (
                p.units.number or Decimal(0)
                for p in entry.postings
                if p.account == account and p.units is not None
            ),
            Decimal(0),
        )
        if not amount:
            continue
        file = where + _relative(entry.meta.get("filename"), root)
        leg = ClearingLeg(str(entry.meta[FEDERATION_KEY]), amount, file, entry.meta.get("lineno"))
        if leg.clearing_id in found:
            twice.append(leg)
        else:
            found[leg.clearing_id] = leg
    return found, twice


def _clearing_problems(
    coop: Cooperative, partner: Partner, book: PartnerBook, decimals: int, theirs_decimals: int
) -> list[Problem]:
    """The clearings among groups the two books do not agree on: an id on one
    side only or twice on one side, or legs that are not each other's opposite
    after the rate (either way round: the clearing converts from whichever side)."""
    root = str(coop.root)
    ours, ours_twice = clearing_legs(coop.entries, partner.account, "", root)
    account_there = _as_seen_there(partner).partners[0].account
    theirs, theirs_twice = clearing_legs(book.entries, account_there, f"{partner.id}:", root)
    problems: list[Problem] = []
    for legs, side in ((ours_twice, "this book"), (theirs_twice, "the partner's book")):
        for copy in legs:
            twice = {"clearing_id": copy.clearing_id, "side": side}
            problems.append(Problem("partner-clearing-twice", copy.file, copy.line, twice))
    for clearing_id in sorted(ours.keys() | theirs.keys()):
        here, there = ours.get(clearing_id), theirs.get(clearing_id)
        params: dict[str, Param] = {"clearing_id": clearing_id, "partner": partner.id}
        if here is None or there is None:
            alone = here or there
            assert alone is not None
            side = "the partner's book" if there is None else "this book"
            problems.append(
                Problem(
                    "partner-clearing-missing", alone.file, alone.line, {**params, "side": side}
                )
            )
            continue
        if there.amount == convert(-here.amount, partner.rate, theirs_decimals) or (
            here.amount == convert(-there.amount, 1 / partner.rate, decimals)
        ):
            continue
        params |= {
            "ours": format_amount(here.amount, decimals),
            "theirs": format_amount(there.amount, theirs_decimals),
        }
        problems.append(Problem("partner-clearing-differs", there.file, there.line, params))
    return problems


def _relative(path: str | None, root: str) -> str:
    if path is None:
        return ""
    prefix = root.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else path


# ---------------------------------------------------------------- clearing among groups


@dataclass(frozen=True)
class Group:
    """One cooperative of a federation clearing: its name among the others, its
    rules, partners and the positions against them."""

    name: str
    rules: Rules
    partners: Partners
    positions: dict[str, Decimal]  # partner id -> what it owes this group


@dataclass(frozen=True)
class GroupLeg:
    """In `group`'s book: the account of `partner` moves by `amount` (in the group's units)."""

    group: str
    partner: str
    amount: Decimal


@dataclass(frozen=True)
class FederationPlan:
    clearing_id: str
    reference: str  # the unit the set-off was computed in
    debts: list[tuple[str, str, Decimal]]  # debtor, creditor, amount in the reference unit
    cleared: list[tuple[str, str, Decimal]]
    legs: list[GroupLeg]


def group_of(coop: Cooperative) -> Group:
    rules, _ = usable(coop)
    partners = read_partners(coop)
    return group_from(rules, partners, {p.account: -position(coop.entries, p) for p in partners})


def group_from(rules: Rules, partners: Partners, balances: Mapping[str, Decimal]) -> Group:
    """A group of a clearing from its rules, partners and the balances of its own
    accounts (`balances`: account -> balance, as `Ledger.view` reads them)."""
    names = {p.known_as for p in partners}
    if len(names) > 1:
        raise CoopError("federation-names-differ", names=", ".join(sorted(names)))
    name = names.pop() if names else slug(rules.name)
    positions = {p.id: -balances.get(p.account, Decimal(0)) for p in partners}
    return Group(name, rules, partners, positions)


def _values(groups: Sequence[Group]) -> dict[str, Decimal]:
    """What one unit of each group is worth in the first group's unit, from the rates."""
    by_name = {g.name: g for g in groups}
    value = {groups[0].name: Decimal(1)}
    queue = [groups[0].name]
    while queue:
        here = by_name[queue.pop()]
        for partner in here.partners:
            if partner.id not in by_name:
                continue
            worth = value[here.name] / partner.rate
            if partner.id not in value:
                value[partner.id] = worth
                queue.append(partner.id)
            elif abs(value[partner.id] - worth) > Decimal("1e-6") * worth:
                raise CoopError("federation-rates-differ", group=partner.id)
    missing = sorted(set(by_name) - set(value))
    if missing:
        raise CoopError("federation-not-linked", groups=", ".join(missing))
    return value


def plan_clearing(groups: Sequence[Group], day: datetime.date) -> FederationPlan:
    """The debts among `groups` that run in cycles, cancelled with the same
    optimal set-off as `coopledger clear`; each group's legs in its own units.

    The two books of a pair must agree first (`check_pair`): each debt is read
    from both sides and refused when they differ."""
    from coopledger.setoff.clearing import Obligation, solve_setoff

    if len({g.name for g in groups}) != len(groups):
        raise CoopError("federation-names-differ", names=", ".join(sorted(g.name for g in groups)))
    values = _values(groups)
    reference = groups[0]
    places = reference.rules.decimals
    scale = Decimal(10) ** places
    by_name = {g.name: g for g in groups}
    debts: list[tuple[str, str, Decimal]] = []
    obligations: list[Obligation] = []
    for group in sorted(groups, key=lambda g: g.name):
        for partner_id, owed in sorted(group.positions.items()):
            other = by_name.get(partner_id)
            if other is None or partner_id < group.name:
                continue
            seen_there = other.positions.get(group.name)
            partner = group.partners.get(partner_id)
            assert partner is not None
            if (
                seen_there is None
                or convert(-owed, partner.rate, other.rules.decimals) != seen_there
            ):
                raise CoopError("federation-books-differ", group=group.name, partner=partner_id)
            if owed == 0:
                continue
            debtor, creditor = (partner_id, group.name) if owed > 0 else (group.name, partner_id)
            in_reference = (abs(owed) * values[group.name]).quantize(Decimal(1) / scale)
            debts.append((debtor, creditor, in_reference))
            obligations.append(
                Obligation(f"{debtor}>{creditor}", debtor, creditor, int(in_reference * scale))
            )
    result = solve_setoff(obligations) if obligations else None
    cleared: list[tuple[str, str, Decimal]] = []
    legs: list[GroupLeg] = []
    for index, (debtor, creditor, _) in enumerate(debts):
        assert result is not None
        minor = int(result.cleared[index])
        if minor == 0:
            continue
        amount = (Decimal(minor) / scale).quantize(Decimal(1).scaleb(-places))
        cleared.append((debtor, creditor, amount))
        for group_name, partner_name, sign in ((creditor, debtor, 1), (debtor, creditor, -1)):
            group = by_name[group_name]
            own = (amount / values[group_name]).quantize(Decimal(1).scaleb(-group.rules.decimals))
            # the creditor's account of the debtor is debited: less is owed to it
            legs.append(GroupLeg(group_name, partner_name, own * sign))
    return FederationPlan(
        f"federation-{day.isoformat()}", reference.name, debts, cleared, _balanced(legs, by_name)
    )


def _balanced(legs: list[GroupLeg], by_name: Mapping[str, Group]) -> list[GroupLeg]:
    """Each group's legs sum to zero in its own units: a rounding left by the
    rates goes to its largest leg."""
    by_group: dict[str, list[GroupLeg]] = defaultdict(list)
    for leg in legs:
        by_group[leg.group].append(leg)
    final: list[GroupLeg] = []
    for name in sorted(by_group):
        group_legs = by_group[name]
        rest = sum((leg.amount for leg in group_legs), Decimal(0))
        if rest:
            largest = max(range(len(group_legs)), key=lambda i: abs(group_legs[i].amount))
            leg = group_legs[largest]
            group_legs[largest] = GroupLeg(leg.group, leg.partner, leg.amount - rest)
        final.extend(group_legs)
    return final


def clearing_change(
    group: Group, plan: FederationPlan, day: datetime.date, author: Identity, root_text: str
) -> tuple[str, Change] | None:
    """The entry of `plan` in `group`'s book (path, change), or None if it has no leg."""
    legs = [leg for leg in plan.legs if leg.group == group.name and leg.amount]
    if not legs:
        return None
    rules = group.rules
    postings: list[tuple[str, Decimal]] = []
    for leg in legs:
        partner = group.partners.get(leg.partner)
        assert partner is not None
        # a debt owed to this group (position > 0) shrinks: its account is credited
        postings.append((partner.account, leg.amount))
    meta = [(FEDERATION_KEY, plan.clearing_id)]
    text = _entry_text(day, "clearing among groups", meta, postings, rules)
    path = entry_path(day, PARTNER_FILE_NAME)
    new_text = appended(root_text, text)
    return path, Change({path: new_text}, f"federation clear: {plan.clearing_id}", author)


def partner_positions_after(group: Group, plan: FederationPlan) -> dict[str, Decimal]:
    after = dict(group.positions)
    for leg in plan.legs:
        if leg.group == group.name:
            after[leg.partner] -= leg.amount
    return after


def iter_partner_ids(groups: Iterable[Group]) -> list[str]:
    return sorted({p.id for g in groups for p in g.partners})


def require_treasurer(coop: Cooperative, author: Identity, what: str) -> None:
    """Partner lines, syncs and clearings among groups are a treasurer's writes."""
    rules, roster = usable(coop)
    require_treasurer_in(rules, roster, author, what)


def require_treasurer_in(rules: Rules, roster: Roster, author: Identity, what: str) -> None:
    member = roster.by_email(author[1])
    role = rules.role("treasurer")
    if member is None or not member.has_role(role):
        raise CoopError("partner-treasurer-only", what=what, role=role)


@dataclass(frozen=True)
class GroupBooks:
    """A group of a clearing among groups and its members, as read from its root
    (`coopledger.ledger.Ledger.federation_group`)."""

    root: Path
    group: Group
    roster: Roster

    def require_treasurer(self, author: Identity) -> None:
        require_treasurer_in(self.group.rules, self.roster, author, "federation clear")
