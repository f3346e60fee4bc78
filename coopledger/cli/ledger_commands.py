"""init, trade, balances and check: each parses, calls `coopledger.ledger`, renders."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import typer

from coopledger import i18n
from coopledger.cli.common import (
    EXIT_PROBLEMS,
    app,
    err,
    money_text,
    open_ledger,
    out,
    parse_day,
    print_json,
    print_problems,
    problem_json,
    say_route,
    state,
)
from coopledger.cli.tables import fitted_table
from coopledger.founding.ci_templates import PLATFORMS, pinned_source
from coopledger.i18n import LANGUAGES, N_, _
from coopledger.language.words import (
    member_count,
    problem_counts,
    trade_count,
    warning_count,
)
from coopledger.model import clock
from coopledger.model.money import format_amount, rounded
from coopledger.model.problems import CoopError, Problem


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
    language: str = typer.Option(
        None, "--language", help="The cooperative's language: en or fr (in rules.yaml)."
    ),
) -> None:
    """Create a cooperative: a git repository with members, rules and a journal."""
    from coopledger.ledger import Founding, Ledger

    if ci is not None and ci not in PLATFORMS:
        raise CoopError("bad-ci-platform", value=ci, choices=", ".join(PLATFORMS))
    source = pinned_source(ci_source, "--ci-source") if ci is not None else ""
    if language is not None and language not in LANGUAGES:
        raise CoopError("bad-choice", value=language, option="--language", choices=LANGUAGES)
    if language is not None and state.lang is None:
        i18n.set_language(language)  # the new cooperative's language, from now on
    asked = Founding(
        name, currency, currency_name, treasurer, treasurer_name, email, kind, None, ci, source
    )
    asked = replace(asked, language=language)
    if treasurer:  # --joined is read only for a treasurer
        asked = replace(asked, joined=parse_day(joined, default=clock.today()))
    created = Ledger.create(directory, asked)
    root, title = created.ledger.root, created.title
    out.print(
        _("Created the cooperative {name} in {folder}").format(name=title, folder=root),
        markup=False,
    )
    for written in created.ci_files:
        out.print("  " + _("wrote {file}").format(file=written), markup=False)
    out.print(
        _("  currency {currency}; next: coopledger member add ID --name NAME --kind person").format(
            currency=currency
        ),
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
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Record that PAYER pays PAYEE an AMOUNT, and commit it.

    PAYEE may be a partner group's member, PARTNER/MEMBER (docs/federation.md)."""
    if "/" in payee or "/" in payer:
        from coopledger.cli.partner_commands import group_trade

        return group_trade(payer, payee, amount, memo, parse_day(date), as_member)
    from coopledger.ledger import TradeRequest

    books = open_ledger(cache=not no_cache)
    asked = TradeRequest(payer, payee, amount, parse_day(date), memo, category)
    done = books.record(asked, as_member)
    say_route(done.route, done.reason)
    recorded, rules = done.trade, done.rules
    decimals, currency = rules.decimals, rules.currency
    print_problems(done.warnings)
    if as_json:
        from coopledger.cli.common import trade_record

        after = {
            member: format_amount(done.balances[member], decimals) for member in (payer, payee)
        }
        print_json(
            {
                "trade": trade_record(recorded, decimals, currency),
                "commit": done.sha,
                "balances": after,
            }
        )
        return
    out.print(
        _("Recorded {trade_id}: {payer} → {payee} {amount} (commit {commit})").format(
            trade_id=recorded.trade_id,
            payer=payer,
            payee=payee,
            amount=money_text(recorded.amount, rules),
            commit=done.sha[:8],
        ),
        markup=False,
    )
    for levy in recorded.levies:
        said = _("levy: {member} pays {amount} to {account}").format(
            member=levy.member, amount=money_text(levy.amount, rules), account=levy.account
        )
        out.print(f"  {said}", markup=False)
    for member in (payer, payee):
        if i18n.language() == i18n.DEFAULT:
            balance = format_amount(done.balances[member], decimals)
            out.print(f"  {member:<20} {balance:>12} {currency}", markup=False)
        else:
            out.print(f"  {member:<20} {money_text(done.balances[member], rules)}", markup=False)


@app.command()
def balances(
    at: str = typer.Option(None, "--at", help="Balances at the end of this date."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Read the whole journal again."),
) -> None:
    """Every member's balance, limits and headroom; the total is always zero."""
    from coopledger.reporting.balances import balance_rows, coop_rows_of, total

    day = parse_day(at)
    view = open_ledger(cache=not no_cache).view(day)
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
    words = (N_("member"), N_("name"), N_("balance"), N_("floor"), N_("ceiling"))
    headings = tuple(_(h) for h in (*words, N_("can pay"), N_("can receive")))
    if i18n.language() != i18n.DEFAULT:  # for people: 1 234,50 (the JSON above stays 1234.50)
        amount = lambda v: None if v is None else i18n.amount_text(rounded(v, rules.decimals))  # noqa: E731
    cells: list[list[str]] = [
        [
            row.member,
            row.name + ("" if row.status == "active" else f" ({i18n.status_word(row.status)})"),
            amount(row.balance) or "",
            amount(row.floor) or "",
            amount(row.ceiling) or "",
            amount(row.spendable) or "",
            amount(row.receivable) or "",
        ]
        for row in rows
    ]
    extra = [[c.name, c.account, amount(c.balance) or "", "", "", "", ""] for c in coop_accounts]
    totals = [_("total"), "", amount(total(rows, coop_accounts)) or "", "", "", "", ""]
    table = fitted_table(
        _("{name}: balances at {date} ({currency})").format(
            name=rules.name, date=i18n.date_text(day), currency=rules.currency
        ),
        headings,
        [*cells, *extra, totals],
        right={2, 3, 4, 5, 6},
        optional=[6, 5, 4, 3],  # the limits go first; the id, the name and the balance stay
        width=out.width,
        sections={len(cells) + len(extra), *([len(cells)] if extra else [])},
    )
    out.print(table)
    if view.errors:
        err.print(
            _("{count} problem(s) in the files: run 'coopledger check'").format(
                count=len(view.errors)
            ),
            markup=False,
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
    found = open_ledger(cache=not no_cache).check(
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
                _(
                    "Months up to {month} are closed and unchanged (their fingerprints match): "
                    "their balances were carried, not read again (check --full reads them)."
                ).format(month=view.carried_through),
                markup=False,
            )
        if errors:
            out.print(problem_counts(len(errors), len(warnings)), markup=False)
        else:  # no error, so no 'total-not-zero': the balances sum to zero
            members = len(view.roster) if view.roster else 0
            zero = (
                i18n.amount_text(Decimal(0).quantize(Decimal(1).scaleb(-view.rules.decimals)))
                if view.rules
                else "0"
            )
            currency = view.rules.currency if view.rules else ""
            out.print(
                _("ok: {members}, {trades}, balances sum to {zero} {currency}; {warnings}").format(
                    members=member_count(members),
                    trades=trade_count(view.trade_count()),
                    zero=zero,
                    currency=currency,
                    warnings=warning_count(len(warnings)),
                ),
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
            f"{problem_counts(len(errors), len(problems) - len(errors))}; the working "
            "tree was not loaded: the change holds files beancount must not read",
            markup=False,
        )
    raise typer.Exit(EXIT_PROBLEMS)
