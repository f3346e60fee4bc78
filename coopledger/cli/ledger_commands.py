"""init, trade, balances and check."""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from coopledger import clock
from coopledger.ci_templates import PLATFORMS, pinned_source
from coopledger.cli.common import (
    EXIT_PROBLEMS,
    app,
    author_for,
    cooperative_root,
    err,
    out,
    parse_day,
    print_json,
    print_problems,
    problem_json,
)
from coopledger.cli.gate_commands import (
    gate_history,
    gate_problems,
    gate_refuses_loading,
    write_ci,
)
from coopledger.cli.lazy import lazy_module
from coopledger.cli.tables import fitted_table
from coopledger.members import Member, Roster
from coopledger.money import format_amount
from coopledger.problems import CoopError, Problem
from coopledger.rules import CURRENCY_PATTERN, Rules

if TYPE_CHECKING:
    from coopledger import gitrepo, snapshot, store
    from coopledger.changes import PlannedTrade
    from coopledger.checks import DayBalance
    from coopledger.closing import Opening
else:  # beancount and git only for the commands that need them
    gitrepo, store = lazy_module("coopledger.gitrepo"), lazy_module("coopledger.store")
    snapshot = lazy_module("coopledger.snapshot")


@app.command()
def init(
    directory: Path = typer.Argument(
        Path("."), metavar="[DIR]", help="Folder for the cooperative."
    ),
    name: str = typer.Option(None, "--name", help="The cooperative's name."),
    currency: str = typer.Option("SEL", "--currency", help="Currency code, e.g. SEL."),
    currency_name: str = typer.Option(None, "--currency-name", help="What people call a unit."),
    treasurer: str = typer.Option(None, "--treasurer", help="Id of the first treasurer."),
    treasurer_name: str = typer.Option(None, "--treasurer-name", help="Treasurer's full name."),
    email: str = typer.Option(None, "--email", help="The treasurer's git e-mail."),
    kind: str = typer.Option("person", "--kind", help="The treasurer's kind."),
    joined: str = typer.Option(None, "--joined", help="The treasurer's joining date."),
    ci: str = typer.Option(None, "--ci", help="Also write CI files: github or gitlab."),
    ci_source: str = typer.Option(
        None,
        "--ci-source",
        help="With --ci: where the CI installs coopledger from (see coopledger ci --source).",
    ),
) -> None:
    """Create a cooperative: a git repository with members, rules and a journal."""
    from coopledger.changes import validate_emails, validate_member_id
    from coopledger.scaffold import cooperative_files
    from coopledger.store import COOPERATIVE_FILES

    root = directory.resolve()
    if ci is not None and ci not in PLATFORMS:
        raise CoopError("bad-ci-platform", value=ci, choices=", ".join(PLATFORMS))
    source = pinned_source(ci_source, "--ci-source") if ci is not None else ""
    for file in COOPERATIVE_FILES:
        if (root / file).exists():
            raise CoopError("already-a-cooperative", path=str(root), existing=file)
    if not re.fullmatch(CURRENCY_PATTERN, currency):
        raise CoopError("bad-currency", value=currency)
    today = clock.today()
    title = name or root.name
    first: Member | None = None
    if treasurer:
        validate_member_id(treasurer)
        if not email:
            raise CoopError("author-without-email", member=treasurer)
        validate_emails([email])
        first = Member(
            id=treasurer,
            name=treasurer_name or treasurer,
            kind=kind,
            joined=parse_day(joined, default=today),
            emails=(email,),
            roles=("treasurer",),
        )
    if first is not None:
        author: gitrepo.Identity = (first.name, first.emails[0])
    else:
        repo_email = None
        if (root / ".git").exists():
            repo_email = gitrepo.configured_email(gitrepo.open_repo(root))
        if repo_email is None:
            raise CoopError("init-no-author")
        author = (title, repo_email)
    if kind not in ("person", "business"):
        raise CoopError("bad-kind", kind=kind, kinds="person, business")
    files = cooperative_files(title, currency, currency_name or currency, today, first)
    repo = gitrepo.init_repo(root)
    if gitrepo.has_commits(repo):
        raise CoopError("repository-has-history", path=str(root))
    store.apply(root, store.Change(files, f"init: {title}", author))
    out.print(f"Created the cooperative {title} in {root}", markup=False)
    for written in write_ci(root, ci, author, force=False, source=source) if ci else []:
        out.print(f"  wrote {written}", markup=False)
    out.print(
        f"  currency {currency}; next: coopledger member add ID --name NAME --kind person",
        markup=False,
    )


@app.command()
def trade(
    payer: str = typer.Argument(..., help="Member who pays."),
    payee: str = typer.Argument(..., help="Member who is paid."),
    amount: str = typer.Argument(..., help="Amount, e.g. 40 or 12.50 (12,50 works too)."),
    memo: str = typer.Option("", "--memo", "-m", help="What was exchanged."),
    date: str = typer.Option(None, "--date", help="Date of the trade (default: today)."),
    category: str = typer.Option(None, "--category", help="A category from rules.yaml."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Check against the whole journal."),
) -> None:
    """Record that PAYER pays PAYEE an AMOUNT, and commit it.

    PAYEE may be a partner group's member, PARTNER/MEMBER (docs/federation.md)."""
    if "/" in payee or "/" in payer:
        from coopledger.cli.partner_commands import group_trade

        return group_trade(payer, payee, amount, memo, parse_day(date), as_member)
    root = cooperative_root()
    day = parse_day(date)
    asked = TradeRequest(payer, payee, amount, day, memo, category)
    with store.locked(root):
        # a date in or before a closed month is refused before planning, in one clear word
        from coopledger.journal import entry_path

        store.refuse_closed(root, [entry_path(day, payer)])
        # git status takes a while on a large journal: the snapshot is read meanwhile
        writable = gitrepo.WriteCheck(gitrepo.open_repo(root), store.WRITTEN_PATHS)
        try:
            planned, state, rules, balance_before, key = _plan_trade(
                root, asked, as_member, writable, no_cache
            )
        finally:
            writable.close()
        written = planned.trade.file or ""
        created = frozenset() if (root / written).exists() else frozenset({written})
        sha = store.apply(root, planned.change)
        if state is not None:
            changed = snapshot.add_entry(state, planned.entry)
            # the tree was clean and holds exactly what was committed: ask git for the ids
            key = key and gitrepo.content_ids(gitrepo.open_repo(root), store.WRITTEN_PATHS)
            buckets = None if state.fresh else changed
            with contextlib.suppress(OSError):  # the trade is committed; the cache can wait
                snapshot.save(root, state, buckets, (written,), key, created)
    recorded = planned.trade
    decimals, currency = rules.decimals, rules.currency
    print_problems(planned.change.warnings)
    out.print(
        f"Recorded {recorded.trade_id}: {payer} → {payee} "
        f"{format_amount(recorded.amount, decimals)} {currency} (commit {sha[:8]})",
        markup=False,
    )
    for levy in recorded.levies:
        levied = format_amount(levy.amount, decimals)
        out.print(f"  levy: {levy.member} pays {levied} {currency} to {levy.account}", markup=False)
    for member, delta in ((payer, -recorded.amount), (payee, recorded.amount)):
        delta -= sum((lv.amount for lv in recorded.levies if lv.member == member), Decimal(0))
        balance = format_amount(balance_before[member] + delta, decimals)
        out.print(f"  {member:<20} {balance:>12} {currency}", markup=False)


@dataclass(frozen=True)
class TradeRequest:
    payer: str
    payee: str
    amount: str
    day: datetime.date
    memo: str
    category: str | None


def _plan_trade(
    root: Path,
    asked: TradeRequest,
    as_member: str | None,
    writable: gitrepo.WriteCheck,
    no_cache: bool,
) -> tuple[PlannedTrade, snapshot.Snapshot | None, Rules, dict[str, Decimal], str | None]:
    """Plan against the snapshot when it is valid and enough, else against everything.

    The snapshot is read and the trade planned against it while git checks the
    working tree; the plan (or its refusal) counts only once the tree is found
    writable and the snapshot vouched for. Also returns the content key."""
    from coopledger.changes import choose_author, current_balance, plan_trade, plan_trade_fast

    fields = {
        "payer": asked.payer,
        "payee": asked.payee,
        "amount": asked.amount,
        "day": asked.day,
        "memo": asked.memo,
        "category": asked.category,
    }
    members = (asked.payer, asked.payee)
    state = None if no_cache else snapshot.load_saved(root)
    planned: PlannedTrade | CoopError | None = None
    if state is not None:
        try:
            email = gitrepo.configured_email(writable.repo)
            author = choose_author(state.roster, as_member, email, state.rules.role("treasurer"))
            planned = plan_trade_fast(state, **fields, author=author)
            before = {m: state.balance(m) for m in members}
        except snapshot.NeedsFullCheck:
            state = None
        except CoopError as refusal:
            planned = refusal
    key = writable.result()  # a dirty tree or a detached HEAD first, as without a snapshot
    if state is not None and planned is not None and snapshot.vouch(state, key):
        if isinstance(planned, CoopError):
            raise planned
        return planned, state, state.rules, before, key
    stamps = None if no_cache else snapshot.input_stamps(root)
    if stamps is not None:
        opened = _plan_on_open_months(root, asked, as_member, writable, stamps, key)
        if opened is not None:
            return opened
    coop = store.load(root)
    author = author_for(root, coop, as_member)
    planned = plan_trade(coop, **fields, author=author)  # type: ignore[arg-type]
    assert coop.rules is not None
    fresh = snapshot.from_cooperative(coop, stamps, key)
    return planned, fresh, coop.rules, {m: current_balance(coop, m) for m in members}, key


def _plan_on_open_months(
    root: Path,
    asked: TradeRequest,
    as_member: str | None,
    writable: gitrepo.WriteCheck,
    stamps: dict[str, snapshot.Stamp],
    key: str | None,
) -> tuple[PlannedTrade, snapshot.Snapshot, Rules, dict[str, Decimal], str | None] | None:
    """With no snapshot (after a close, or any write but a trade), one built from
    the months after the last close (`store.load_open_period`), and the trade
    planned on it as on a saved one. None when the open months cannot be read
    alone or the trade needs the full check (dated in a closed month...)."""
    from coopledger.changes import choose_author, plan_trade_fast

    partial = store.load_open_period(root, key is not None)
    fresh = snapshot.from_cooperative(partial, stamps, key) if partial is not None else None
    if fresh is None:
        return None
    email = gitrepo.configured_email(writable.repo)
    author = choose_author(fresh.roster, as_member, email, fresh.rules.role("treasurer"))
    fields = {"day": asked.day, "memo": asked.memo, "category": asked.category}
    try:
        planned = plan_trade_fast(
            fresh, payer=asked.payer, payee=asked.payee, amount=asked.amount, **fields,
            author=author,
        )  # fmt: skip
    except snapshot.NeedsFullCheck:
        return None
    before = {m: fresh.balance(m) for m in (asked.payer, asked.payee)}
    return planned, fresh, fresh.rules, before, key


@app.command()
def balances(
    at: str = typer.Option(None, "--at", help="Balances at the end of this date."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Read the whole journal again."),
) -> None:
    """Every member's balance, limits and headroom; the total is always zero."""
    from coopledger.balances import balance_rows, coop_rows_of, total

    root = cooperative_root()
    day = parse_day(at)
    view = _ledger_view(root, no_cache, open_period=True, since=day)
    if view.rules is None or view.roster is None:
        print_problems(view.errors)
        raise typer.Exit(EXIT_PROBLEMS)
    rules = view.rules
    rows = balance_rows(view.history(day), view.roster, rules, day)
    coop_accounts = coop_rows_of(view.coop_balances(day), rules)  # rules.yaml `accounts:`
    amount = lambda value: None if value is None else format_amount(value, rules.decimals)  # noqa: E731
    if as_json:
        print_json(
            {
                "currency": rules.currency,
                "at": day.isoformat(),
                "balances": {row.member: amount(row.balance) for row in rows},
                "coop_accounts": {row.name: amount(row.balance) for row in coop_accounts},
                "total": amount(total(rows, coop_accounts)),
            }
        )
        return
    headings = ("member", "name", "balance", "floor", "ceiling", "can pay", "can receive")
    cells: list[list[str]] = [
        [
            row.member,
            row.name + ("" if row.status == "active" else f" ({row.status})"),
            amount(row.balance) or "",
            amount(row.floor) or "",
            amount(row.ceiling) or "",
            amount(row.spendable) or "",
            amount(row.receivable) or "",
        ]
        for row in rows
    ]
    extra = [[c.name, c.account, amount(c.balance) or "", "", "", "", ""] for c in coop_accounts]
    totals = ["total", "", amount(total(rows, coop_accounts)) or "", "", "", "", ""]
    table = fitted_table(
        f"{rules.name}: balances at {day.isoformat()} ({rules.currency})",
        headings,
        [*cells, *extra, totals],
        right={2, 3, 4, 5, 6},
        optional=[1],
        width=out.width,
        sections={len(cells) + len(extra), *([len(cells)] if extra else [])},
    )
    out.print(table)
    if view.errors:
        err.print(
            f"{len(view.errors)} problem(s) in the files: run 'coopledger check'", markup=False
        )


def _partner_problems(root: Path, view: LedgerView) -> list[Problem]:
    """partners.yaml and the trust lines (docs/federation.md), when there are partners."""
    from coopledger.partners import PARTNERS_FILE

    if view.rules is None or not os.path.lexists(root / PARTNERS_FILE):
        return []
    from coopledger.federation import partner_problems, partners_text

    try:
        text = partners_text(root)
    except CoopError as error:
        return [Problem(error.code, PARTNERS_FILE, None, error.params)]
    return partner_problems(text, view.rules, view.coop_balances(datetime.date.max))


@app.command()
def check(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    since: str = typer.Option(
        None, "--since", help="Also judge every change from REV to the working tree (the gate)."
    ),
    rev: str = typer.Option(None, "--rev", help="Also judge the commits of BASE..HEAD."),
    require_signed: bool = typer.Option(
        False, "--require-signed", help="With --since/--rev: only commits git verifies."
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", "--full", help="Read and check everything again, without the snapshot."
    ),
    staged: bool = typer.Option(
        False,
        "--staged",
        help="Check what is staged (git's index), not the working tree, and who makes "
        "the staged change: the commit about to be made (the pre-commit hook).",
    ),
) -> None:
    """Validate the whole cooperative; list every problem with file and line.

    With --since or --rev, also check who made each change (docs/pull-requests.md)."""
    root = cooperative_root()
    judged = since or rev or staged
    history = gate_history(root, since, rev, require_signed, staged) if judged else None
    if gate_refuses_loading(history):
        # the change holds what beancount must not read (an include, a link,
        # code): judge it from git alone, and load nothing of the working tree
        problems = gate_problems(root, since, rev, require_signed, history=history)
        if not as_json:
            print_problems(problems, out)
        _refused(problems, as_json)
    if staged:
        with tempfile.TemporaryDirectory(prefix="coopledger-staged-") as folder:
            tree = Path(folder) / root.name
            tree.mkdir()
            gitrepo.export_index(root, tree)
            view = _ledger_view(tree, no_cache, open_period=True, save_open_period=False)
            partner_found = _partner_problems(tree, view)
    else:
        view = _ledger_view(root, no_cache, open_period=True, save_open_period=False)
        partner_found = _partner_problems(root, view)
    problems = [*view.problems, *partner_found]
    if history is not None:
        read = (view.rules, view.roster)
        problems = [
            *problems,
            *gate_problems(root, since, rev, require_signed, read, history, staged),
        ]
        if view.rules is not None and not staged and os.path.lexists(root / "partners.yaml"):
            from coopledger.federation import mirror_problems  # docs/federation.md

            problems += mirror_problems(root, history.base, view.rules)
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    if as_json:
        print_json(
            {
                "ok": not errors,
                "errors": len(errors),
                "warnings": len(warnings),
                "problems": [problem_json(p) for p in problems],
                "closed_months_carried_through": view.carried_through,
            }
        )
    else:
        print_problems(problems, out)
        if view.carried_through:
            out.print(
                f"Months up to {view.carried_through} are closed and unchanged (their "
                "fingerprints match): their balances were carried, not read again "
                "(check --full reads them).",
                markup=False,
            )
        if errors:
            out.print(f"{len(errors)} error(s), {len(warnings)} warning(s)", markup=False)
        else:  # no error, so no 'total-not-zero': the balances sum to zero
            members = len(view.roster) if view.roster else 0
            zero = format_amount(Decimal(0), view.rules.decimals) if view.rules else "0"
            currency = view.rules.currency if view.rules else ""
            out.print(
                f"ok: {members} members, {view.trade_count()} trades, balances sum to "
                f"{zero} {currency}; {len(warnings)} warning(s)",
                markup=False,
            )
    if errors:
        raise typer.Exit(EXIT_PROBLEMS)


def _refused(problems: list[Problem], as_json: bool) -> None:
    """End `check` with the gate's problems, the working tree not loaded."""
    errors = [p for p in problems if p.is_error]
    if as_json:
        print_json(
            {
                "ok": False,
                "errors": len(errors),
                "warnings": len(problems) - len(errors),
                "problems": [problem_json(p) for p in problems],
                "closed_months_carried_through": None,
            }
        )
    else:
        out.print(
            f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s); the working "
            "tree was not loaded: the change holds files beancount must not read",
            markup=False,
        )
    raise typer.Exit(EXIT_PROBLEMS)


@dataclass
class LedgerView:
    """What `check` and `balances` read: a valid snapshot, or the full load."""

    state: snapshot.Snapshot | None
    coop: store.Cooperative | None

    @property
    def rules(self) -> Rules | None:
        return self.state.rules if self.state else self.coop.rules if self.coop else None

    @property
    def roster(self) -> Roster | None:
        return self.state.roster if self.state else self.coop.roster if self.coop else None

    @property
    def problems(self) -> list[Problem]:
        return self.state.problems if self.state else self.coop.problems if self.coop else []

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def history(self, day: datetime.date) -> Mapping[str, Sequence[DayBalance]]:
        """Day balances good enough to read every member's balance at `day`."""
        if self.state is not None:
            return self.state.history_at(day)
        return self.coop.history if self.coop else {}

    def coop_balances(self, day: datetime.date) -> dict[str, Decimal]:
        if self.state is not None:
            return snapshot.coop_balances(self.state, day)
        if self.coop is None or self.coop.rules is None:
            return {}
        from coopledger.checks import coop_account_balances

        found = coop_account_balances(self.coop.entries, self.coop.rules.coop_accounts, day)
        opening = self.coop.opening
        if opening is not None and day >= _last_closed_day(opening):
            for account, balance in opening.coop_balances.items():
                found[account] = found.get(account, Decimal(0)) + balance
        return found

    @property
    def carried_through(self) -> str | None:
        """The last closed month carried instead of read, if any."""
        if self.state is not None:
            return self.state.carried_month
        opening = self.coop.opening if self.coop else None
        return opening.month if opening else None

    def trade_count(self) -> int:
        if self.state is not None:
            return self.state.trade_count
        from coopledger.journal import trades_of

        if self.coop is None:
            return 0
        carried = self.coop.opening.trades if self.coop.opening else 0
        return carried + sum(1 for _ in trades_of(self.coop.entries))


def _ledger_view(
    root: Path,
    no_cache: bool,
    open_period: bool = False,
    since: datetime.date | None = None,
    save_open_period: bool = True,
) -> LedgerView:
    """The snapshot if it still holds (and knows the balances at the end of
    `since`), else (`open_period`) the period after the closed months, else a
    full load. Either load saves a new snapshot, but the open period's only
    with `save_open_period` (`check` does not: in CI, on a fresh clone, the
    snapshot would be thrown away, and building it costs seconds at 1M trades)."""
    with store.locked(root):
        key = None if no_cache else gitrepo.committed_content_key(root, store.WRITTEN_PATHS)
        state = None if no_cache else snapshot.load_valid(root, key)
        if state is not None and state.answers_for(since):
            return LedgerView(state, None)
        clean = key is not None  # git saw the working tree as committed
        saving = not no_cache and (save_open_period or not open_period)
        stamps = snapshot.input_stamps(root) if saving else None  # before reading the files
        partial = store.load_open_period(root, clean) if open_period and not no_cache else None
        opening = partial.opening if partial is not None else None
        if partial is not None and (since is None or since >= _last_closed_day(opening)):
            if saving:
                _save_quietly(root, snapshot.from_cooperative(partial, stamps, key))
            return LedgerView(None, partial)
        if stamps is None and not no_cache:
            stamps = snapshot.input_stamps(root)
        coop = store.load(root)
        _save_quietly(root, snapshot.from_cooperative(coop, stamps, key))
        return LedgerView(None, coop)


def _last_closed_day(opening: Opening | None) -> datetime.date:
    return opening.day - datetime.timedelta(days=1) if opening else datetime.date.min


def _save_quietly(root: Path, fresh: snapshot.Snapshot | None) -> None:
    """Save a snapshot just built; a cache that cannot be written only costs time."""
    if fresh is not None:
        with contextlib.suppress(OSError):
            snapshot.save(root, fresh)
