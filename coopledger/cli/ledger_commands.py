"""init, trade, balances and check: each parses, calls `coopledger.ledger`, renders."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import typer

from coopledger import clock
from coopledger.ci_templates import PLATFORMS, pinned_source
from coopledger.cli.common import (
    EXIT_PROBLEMS,
    app,
    cooperative_root,
    err,
    out,
    parse_day,
    print_json,
    print_problems,
    problem_json,
    say_route,
)
from coopledger.cli.tables import fitted_table
from coopledger.money import format_amount
from coopledger.problems import CoopError, Problem


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
    from coopledger.ledger import Founding, Ledger

    if ci is not None and ci not in PLATFORMS:
        raise CoopError("bad-ci-platform", value=ci, choices=", ".join(PLATFORMS))
    source = pinned_source(ci_source, "--ci-source") if ci is not None else ""
    asked = Founding(
        name, currency, currency_name, treasurer, treasurer_name, email, kind, None, ci, source
    )
    if treasurer:  # --joined is read only for a treasurer
        asked = replace(asked, joined=parse_day(joined, default=clock.today()))
    created = Ledger.create(directory, asked)
    root, title = created.ledger.root, created.title
    out.print(f"Created the cooperative {title} in {root}", markup=False)
    for written in created.ci_files:
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
    from coopledger.ledger import Ledger, TradeRequest

    books = Ledger(cooperative_root(), cache=not no_cache)
    asked = TradeRequest(payer, payee, amount, parse_day(date), memo, category)
    done = books.record(asked, as_member)
    say_route(done.route, done.reason)
    recorded, rules = done.trade, done.rules
    decimals, currency = rules.decimals, rules.currency
    print_problems(done.warnings)
    out.print(
        f"Recorded {recorded.trade_id}: {payer} → {payee} "
        f"{format_amount(recorded.amount, decimals)} {currency} (commit {done.sha[:8]})",
        markup=False,
    )
    for levy in recorded.levies:
        levied = format_amount(levy.amount, decimals)
        out.print(f"  levy: {levy.member} pays {levied} {currency} to {levy.account}", markup=False)
    for member in (payer, payee):
        balance = format_amount(done.balances[member], decimals)
        out.print(f"  {member:<20} {balance:>12} {currency}", markup=False)


@app.command()
def balances(
    at: str = typer.Option(None, "--at", help="Balances at the end of this date."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Read the whole journal again."),
) -> None:
    """Every member's balance, limits and headroom; the total is always zero."""
    from coopledger.balances import balance_rows, coop_rows_of, total
    from coopledger.ledger import Ledger

    root = cooperative_root()
    day = parse_day(at)
    view = Ledger(root, cache=not no_cache).view(day)
    say_route(view.route, view.reason)
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
    from coopledger.ledger import Ledger

    root = cooperative_root()
    found = Ledger(root, cache=not no_cache).check(
        since, rev, staged=staged, require_signed=require_signed
    )
    problems, view = found.problems, found.view
    if view is None:
        # the change holds what beancount must not read (an include, a link,
        # code): judged from git alone, nothing of the working tree loaded
        if not as_json:
            print_problems(problems, out)
        _refused(problems, as_json)
    assert view is not None
    say_route(view.route, view.reason)
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
