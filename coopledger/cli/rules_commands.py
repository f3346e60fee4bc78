"""apply-rules and member limit: the cooperative's rules over time."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import typer

from coopledger import i18n
from coopledger.cli.common import (
    app,
    commit_line,
    money_text,
    open_ledger,
    out,
    parse_day,
    print_json,
    print_problems,
)
from coopledger.cli.member_commands import member_app
from coopledger.i18n import N_, _
from coopledger.language.words import counted
from coopledger.model import clock
from coopledger.model.members import MEMBERS_FILE, parse_members
from coopledger.model.money import format_amount, rounded
from coopledger.model.months import Month
from coopledger.model.timeline import BEGINNING, Timeline

if TYPE_CHECKING:
    from coopledger.ledger import Change, Cooperative, Identity
    from coopledger.plans.fees import RulesRun


@app.command("apply-rules")
def apply_rules(
    period: str = typer.Argument(..., metavar="YYYY-MM", help="The month, e.g. 2026-11."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the entries; write nothing."),
    as_member: str = typer.Option(None, "--as", help="Treasurer who signs the commit."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Write a month's demurrage and contributions (rules.yaml) in one commit.

    Running it again for the same month writes nothing.
    """
    from coopledger.plans.fees import format_rule_entry, plan_apply_rules

    books = open_ledger()
    month = Month.parse(period)
    today = clock.today()

    def planned(coop: Cooperative, author: Identity) -> tuple[Change | None, RulesRun]:
        run = plan_apply_rules(coop, month, author, today)
        return run.change, run

    done = books.write(planned, as_member, dry_run=dry_run)
    run, rules, sha = done.value, done.rules, done.sha
    money = lambda v: money_text(v, rules)  # noqa: E731
    print_problems(done.warnings)
    if as_json:
        amount = lambda v: format_amount(v, rules.decimals)  # noqa: E731
        entries = [
            {
                "rule": e.rule,
                "into": e.into,
                "total": amount(e.total),
                "charges": [
                    {"member": c.member, "amount": amount(c.amount), "basis": amount(c.basis)}
                    for c in e.charges
                ],
            }
            for e in run.written
        ]
        print_json(
            {
                "month": str(month),
                "entries": entries,
                "already": list(run.already),
                "idle": list(run.idle),
                "file": run.path if run.written else None,
                "currency": rules.currency,
                "commit": sha,
                "dry_run": dry_run,
            }
        )
        return
    for rule in run.already:
        said = _("{rule} {month}: already applied, nothing written again")
        out.print(said.format(rule=rule, month=month), markup=False)
    for rule in run.idle:
        out.print(
            _("{rule} {month}: no one to charge").format(rule=rule, month=month), markup=False
        )
    for entry in run.written:
        said = _("{rule} {month}: {amount} into {account}").format(
            rule=entry.rule, month=month, amount=money(entry.total), account=entry.into
        )
        out.print(said, markup=False)
        for charge in entry.charges:
            out.print(f"  {charge.member:<20} {'-' + money(charge.amount):>16}", markup=False)
    if not run.written:
        out.print(_("Nothing to write for {month}.").format(month=month), markup=False)
    elif dry_run:
        said = _("Dry run: nothing written. {file} would get:").format(file=run.path)
        out.print(said + "\n", markup=False)
        texts = [format_rule_entry(entry, rules.currency, rules.decimals) for entry in run.written]
        from coopledger.plans.writes import entries_as_text

        out.print(entries_as_text(texts), markup=False)  # as it would be
    else:
        assert sha is not None
        out.print(
            _("Wrote {entries} to {file} (commit {commit})").format(
                entries=counted(len(run.written), N_("{count} entry"), N_("{count} entries")),
                file=run.path,
                commit=sha[:8],
            ),
            markup=False,
        )


def _history(timeline: Timeline[Decimal] | None, decimals: int) -> str:
    """`-500.00, -600.00 from 2026-12-01`: a limit and its dated changes."""
    if timeline is None:
        return _("the kind's default")
    parts = [] if timeline.changes[0][0] == BEGINNING else [_("the kind's default")]
    for day, value in timeline.changes:
        amount = i18n.amount_text(rounded(value, decimals))
        from_day = _("{amount} from {date}").format(amount=amount, date=i18n.date_text(day))
        parts.append(amount if day == BEGINNING else from_day)
    return ", ".join(parts)


@member_app.command("limit")
def limit(
    member_id: str = typer.Argument(..., metavar="ID"),
    floor: str = typer.Option(None, "--floor", help="New floor, e.g. -600."),
    ceiling: str = typer.Option(None, "--ceiling", help="New ceiling, e.g. 1500."),
    from_date: str = typer.Option(..., "--from", help="In force from this date (YYYY-MM-DD)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Change a member's floor and/or ceiling from a date; earlier limits are kept."""
    from coopledger.plans.changes import known_member, plan_member_limit

    books = open_ledger()
    day = parse_day(from_date)
    done = books.write(
        lambda coop, author: (
            plan_member_limit(
                coop, member_id, floor=floor, ceiling=ceiling, day=day, author=author
            ),
            None,
        ),
        as_member,
    )
    print_problems(done.warnings)
    change, rules, sha = done.change, done.rules, done.sha or ""
    assert change is not None
    out.print(commit_line(change.message, sha), markup=False)
    roster, _problems = parse_members(change.files[MEMBERS_FILE], rules)
    assert roster is not None
    member = known_member(roster, member_id)
    floor_word, ceiling_word = _("floor"), _("ceiling")
    width = max(len(floor_word), len(ceiling_word))
    out.print(f"  {floor_word:<{width}}  {_history(member.floor, rules.decimals)}", markup=False)
    out.print(
        f"  {ceiling_word:<{width}}  {_history(member.ceiling, rules.decimals)}", markup=False
    )
