"""partner add, list, sync, check; federation clear (see docs/federation.md)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from coopledger.cli.common import (
    EXIT_PROBLEMS,
    app,
    open_ledger,
    out,
    print_json,
    print_problems,
    problem_json,
)
from coopledger.cli.lazy import lazy_module
from coopledger.cli.tables import fitted_table
from coopledger.model import clock
from coopledger.model.money import format_amount
from coopledger.model.problems import CoopError

if TYPE_CHECKING:
    from coopledger.intergroup import federation
    from coopledger.ledger import Change, Cooperative, Identity
    from coopledger.model import journal
else:
    federation = lazy_module("coopledger.intergroup.federation")
    journal = lazy_module("coopledger.model.journal")

partner_app = typer.Typer(
    help="Partner groups: other cooperatives traded with on a trust line.", no_args_is_help=True
)
app.add_typer(partner_app, name="partner")
federation_app = typer.Typer(help="Clearing among partner groups.", no_args_is_help=True)
app.add_typer(federation_app, name="federation")


@partner_app.command("add")
def add(
    partner_id: str = typer.Argument(..., metavar="ID", help="The partner's id, e.g. sel-b."),
    name: str = typer.Option("", "--name", help="The partner's name."),
    repo: str = typer.Option(..., "--repo", help="Its repository: a path or a git URL."),
    floor: str = typer.Option("0", "--floor", help="Minus the most we may owe it, e.g. -500."),
    ceiling: str = typer.Option("0", "--ceiling", help="The most it may owe us, e.g. 500."),
    rate: str = typer.Option("1", "--rate", help="Its units for one of ours (default 1)."),
    known_as: str = typer.Option(None, "--known-as", help="Our id in its book."),
    as_member: str = typer.Option(None, "--as", help="Treasurer who signs the commit."),
) -> None:
    """Add a partner group and its trust line (partners.yaml, rules.yaml accounts)."""

    def planned(coop: Cooperative, author: Identity) -> tuple[Change, None]:
        federation.require_treasurer(coop, author, "partner add")
        change = federation.plan_partner_add(
            coop,
            partner_id=partner_id,
            name=name.strip(),
            repo=repo,
            floor=floor,
            ceiling=ceiling,
            rate=rate,
            known_as=known_as,
            author=author,
        )
        return change, None

    done = open_ledger().write(planned, as_member)
    print_problems(done.warnings)
    sha = done.sha or ""
    out.print(f"Added the partner {partner_id} (commit {sha[:8]})", markup=False)


@partner_app.command("list")
def list_partners(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Each partner's position against its trust line."""
    coop = open_ledger().load()
    partners = federation.read_partners(coop)
    rows = federation.partner_rows(coop, partners)
    assert coop.rules is not None
    decimals, currency = coop.rules.decimals, coop.rules.currency
    amount = lambda value: format_amount(value, decimals)  # noqa: E731
    if as_json:
        print_json(
            {
                "currency": currency,
                "partners": [
                    {
                        "id": r.partner.id,
                        "name": r.partner.name,
                        "repo": r.partner.repo,
                        "known_as": r.partner.known_as,
                        "rate": str(r.partner.rate),
                        "floor": amount(r.partner.floor),
                        "ceiling": amount(r.partner.ceiling),
                        "position": amount(r.position),
                        "may_owe": amount(r.may_owe),
                        "may_be_owed": amount(r.may_be_owed),
                    }
                    for r in rows
                ],
            }
        )
        return
    table = fitted_table(
        f"{coop.rules.name}: partner groups ({currency}; position: what the partner owes us)",
        ("partner", "name", "position", "floor", "ceiling", "we may owe", "it may owe", "rate"),
        [
            [
                r.partner.id,
                r.partner.name,
                amount(r.position),
                amount(r.partner.floor),
                amount(r.partner.ceiling),
                amount(r.may_owe),
                amount(r.may_be_owed),
                str(r.partner.rate),
            ]
            for r in rows
        ],
        right={2, 3, 4, 5, 6, 7},
        optional=[1],
        width=out.width,
    )
    out.print(table)


@partner_app.command("sync")
def sync(
    partner_id: str = typer.Argument(..., metavar="ID", help="The partner to read trades from."),
    as_member: str = typer.Option(None, "--as", help="Treasurer who signs the commit."),
) -> None:
    """Fetch the partner's repository and record the mirrors of its trades with our members."""
    books = open_ledger()

    def planned(
        coop: Cooperative, author: Identity
    ) -> tuple[Change | None, tuple[federation.SyncPlan, federation.PartnerBook]]:
        federation.require_treasurer(coop, author, "partner sync")
        book = books.partner_book(coop, partner_id)
        plan = federation.plan_sync(coop, partner_id, book, author)
        return plan.change, (plan, book)

    done = books.write(planned, as_member)
    print_problems(done.warnings)
    (plan, book), sha, rules = done.value, done.sha, done.rules
    for mirror in plan.accepted:
        out.print(
            f"  recorded {mirror.trade_id}: {partner_id}/{mirror.partner_member} → "
            f"{mirror.member} {format_amount(mirror.amount, rules.decimals)} {rules.currency}",
            markup=False,
        )
    for refusal in plan.refused:
        out.print(
            f"  refused {refusal.trade_id}: {partner_id} → {refusal.member} "
            f"{format_amount(refusal.amount, rules.decimals)} {rules.currency}",
            markup=False,
        )
        print_problems([refusal.problem], out)
    said = f"commit {sha[:8]}" if sha else "nothing to commit"
    out.print(
        f"Synced {partner_id} at {book.commit[:12]}: {len(plan.accepted)} recorded, "
        f"{len(plan.refused)} refused, {plan.already} already recorded ({said})",
        markup=False,
    )
    if plan.refused:
        raise typer.Exit(EXIT_PROBLEMS)


@partner_app.command("check")
def check(
    partner_id: str = typer.Argument(..., metavar="ID", help="The partner to compare with."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Compare our inter-group entries with the partner's; exit 1 on any disagreement."""
    problems, book = open_ledger().partner_check(partner_id)
    if as_json:
        print_json({"commit": book.commit, "problems": [problem_json(p) for p in problems]})
    else:
        print_problems(problems, out)
        state = "agree" if not problems else f"disagree ({len(problems)} problem(s))"
        out.print(f"{partner_id} at {book.commit[:12]}: the books {state}", markup=False)
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


@federation_app.command("clear")
def clear(
    repos: list[Path] = typer.Argument(..., metavar="REPO...", help="Each group's cooperative."),
    write: bool = typer.Option(False, "--write", help="Write the entries in every repository."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Cancel the debts that run in cycles among groups; a plan, or --write the entries."""
    from coopledger.ledger import Ledger

    books = [Ledger.open(path) for path in repos]
    for opened in books:
        print_problems(opened.recovered)
    read = [opened.federation_group() for opened in books]  # one book in memory at a time
    groups = [found.group for found in read]
    day = clock.today()
    plan = federation.plan_clearing(groups, day)
    if as_json:
        print_json(
            {
                "id": plan.clearing_id,
                "reference": plan.reference,
                "debts": [[d, c, str(a)] for d, c, a in plan.debts],
                "cleared": [[d, c, str(a)] for d, c, a in plan.cleared],
                "legs": [[leg.group, leg.partner, str(leg.amount)] for leg in plan.legs],
            }
        )
    else:
        out.print(
            f"Clearing {plan.clearing_id} (amounts in {plan.reference}'s unit):", markup=False
        )
        for debtor, creditor, amount in plan.debts:
            gone = next((a for d, c, a in plan.cleared if (d, c) == (debtor, creditor)), 0)
            out.print(f"  {debtor} owes {creditor} {amount}: {gone} cleared", markup=False)
    if not write or not plan.cleared:
        return
    for opened, found in zip(books, read, strict=True):  # every group may be written, or none
        found.require_treasurer(opened.signer(found.roster, found.group.rules))
        opened.ensure_writable()  # a tree with changes, a detached HEAD: refused before any write
    for opened, group in zip(books, groups, strict=True):

        def planned(
            coop: Cooperative, author: Identity, group: federation.Group = group
        ) -> tuple[Change | None, str | None]:
            path = coop.root / journal.entry_path(day, federation.PARTNER_FILE_NAME)
            old = path.read_text(encoding="utf-8") if path.exists() else ""
            found = federation.clearing_change(group, plan, day, author, old)
            return (None, None) if found is None else (found[1], found[0])

        done = opened.write(planned)
        print_problems(done.warnings)
        if done.sha is not None:
            out.print(f"  {group.name}: wrote {done.value} (commit {done.sha[:8]})", markup=False)


def group_trade(
    payer: str, payee: str, amount: str, memo: str, day: datetime.date, as_member: str | None
) -> None:
    """`coopledger trade alice sel-b/zoe 40`: a member here pays a partner's member."""
    if "/" in payer:
        raise CoopError("partner-pays-there", payer=payer)
    split = federation.split_partner_member(payee)
    assert split is not None

    def plan(coop: Cooperative, author: Identity) -> tuple[Change, federation.PlannedGroupTrade]:
        found = federation.plan_group_trade(
            coop,
            payer=payer,
            partner_id=split[0],
            partner_member=split[1],
            amount=amount,
            day=day,
            memo=memo,
            author=author,
        )
        return found.change, found

    done = open_ledger().write(plan, as_member)
    print_problems(done.warnings)
    planned, rules, sha = done.value, done.rules, done.sha or ""
    out.print(
        f"Recorded {planned.trade_id}: {payer} → {payee} "
        f"{format_amount(planned.amount, rules.decimals)} {rules.currency} "
        f"({planned.partner_amount} in {split[0]}'s units) (commit {sha[:8]})",
        markup=False,
    )
    out.print(
        f"  {split[0]} will record it with: coopledger partner sync <our id>; "
        f"position against {split[0]}: {format_amount(planned.position, rules.decimals)}",
        markup=False,
    )
