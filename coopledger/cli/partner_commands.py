"""partner add, list, sync, check; federation clear (see docs/federation.md)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from coopledger import i18n
from coopledger.cli.common import (
    EXIT_PROBLEMS,
    app,
    money_text,
    open_ledger,
    out,
    print_json,
    print_problems,
    problem_json,
)
from coopledger.cli.lazy import lazy_module
from coopledger.cli.tables import fitted_table
from coopledger.i18n import N_, _
from coopledger.model import clock
from coopledger.model.money import format_amount, rounded
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
    said = _("Added the partner {partner} (commit {commit})")
    out.print(said.format(partner=partner_id, commit=sha[:8]), markup=False)


_PARTNER_HEADINGS = (
    N_("partner"),
    N_("name"),
    N_("position"),
    N_("floor"),
    N_("ceiling"),
    N_("we may owe"),
    N_("it may owe"),
    N_("rate"),
)


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
    rate: Callable[[Decimal], str] = str
    if i18n.language() != i18n.DEFAULT:  # for people: 1 234,50 (the JSON above stays 1234.50)
        amount = lambda value: i18n.amount_text(rounded(value, decimals))  # noqa: E731
        rate = i18n.amount_text
    table = fitted_table(
        _("{name}: partner groups ({currency}; position: what the partner owes us)").format(
            name=coop.rules.name, currency=currency
        ),
        [_(word) for word in _PARTNER_HEADINGS],
        [
            [
                r.partner.id,
                r.partner.name,
                amount(r.position),
                amount(r.partner.floor),
                amount(r.partner.ceiling),
                amount(r.may_owe),
                amount(r.may_be_owed),
                rate(r.partner.rate),
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
        said = _("recorded {trade_id}: {payer} → {payee} {amount}").format(
            trade_id=mirror.trade_id,
            payer=f"{partner_id}/{mirror.partner_member}",
            payee=mirror.member,
            amount=money_text(mirror.amount, rules),
        )
        out.print(f"  {said}", markup=False)
    for refusal in plan.refused:
        said = _("refused {trade_id}: {payer} → {payee} {amount}").format(
            trade_id=refusal.trade_id,
            payer=partner_id,
            payee=refusal.member,
            amount=money_text(refusal.amount, rules),
        )
        out.print(f"  {said}", markup=False)
        print_problems([refusal.problem], out)
    committed = _("commit {commit}").format(commit=sha[:8]) if sha else _("nothing to commit")
    out.print(
        _(
            "Synced {partner} at {at}: {recorded} recorded, {refused} refused, "
            "{already} already recorded ({done})"
        ).format(
            partner=partner_id,
            at=book.commit[:12],
            recorded=len(plan.accepted),
            refused=len(plan.refused),
            already=plan.already,
            done=committed,
        ),
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
        said = (
            _("{partner} at {at}: the books agree")
            if not problems
            else _("{partner} at {at}: the books disagree ({count} problem(s))")
        )
        out.print(
            said.format(partner=partner_id, at=book.commit[:12], count=len(problems)),
            markup=False,
        )
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
        said = _("Clearing {clearing} (amounts in {reference}'s unit):")
        out.print(said.format(clearing=plan.clearing_id, reference=plan.reference), markup=False)
        number = str if i18n.language() == i18n.DEFAULT else i18n.amount_text
        for debtor, creditor, amount in plan.debts:
            gone = next((a for d, c, a in plan.cleared if (d, c) == (debtor, creditor)), 0)
            said = _("{debtor} owes {creditor} {amount}: {cleared} cleared").format(
                debtor=debtor,
                creditor=creditor,
                amount=number(amount),
                cleared=number(Decimal(gone)),
            )
            out.print(f"  {said}", markup=False)
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
            said = _("{group}: wrote {file} (commit {commit})")
            wrote = said.format(group=group.name, file=done.value, commit=done.sha[:8])
            out.print("  " + wrote, markup=False)


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
        _(
            "Recorded {trade_id}: {payer} → {payee} {amount} ({partner_amount} in "
            "{partner}'s units) (commit {commit})"
        ).format(
            trade_id=planned.trade_id,
            payer=payer,
            payee=payee,
            amount=money_text(planned.amount, rules),
            partner_amount=planned.partner_amount
            if i18n.language() == i18n.DEFAULT
            else i18n.amount_text(planned.partner_amount),
            partner=split[0],
            commit=sha[:8],
        ),
        markup=False,
    )
    said = _(
        "{partner} will record it with: coopledger partner sync <our id>; "
        "position against {partner}: {position}"
    ).format(
        partner=split[0],
        position=format_amount(planned.position, rules.decimals)
        if i18n.language() == i18n.DEFAULT
        else i18n.amount_text(rounded(planned.position, rules.decimals)),
    )
    out.print(f"  {said}", markup=False)
