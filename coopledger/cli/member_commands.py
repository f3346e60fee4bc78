"""member add, list, show, suspend, reactivate, leave."""

from __future__ import annotations

import typer

from coopledger.cli.common import (
    app,
    open_ledger,
    out,
    parse_day,
    print_json,
    print_problems,
)
from coopledger.cli.tables import fitted_table
from coopledger.i18n import _
from coopledger.model import clock
from coopledger.model.money import format_amount

member_app = typer.Typer(help="Add members, list them, change their status.", no_args_is_help=True)
app.add_typer(member_app, name="member")


@member_app.command("add")
def add(
    member_id: str = typer.Argument(..., metavar="ID", help="Lowercase handle, e.g. alice."),
    name: str = typer.Option(..., "--name", help="Full name, any letters: 'Hélène Dupré'."),
    kind: str = typer.Option("person", "--kind", help="A kind from rules.yaml (person, business)."),
    joined: str = typer.Option(None, "--joined", help="Joining date (default: today)."),
    floor: str = typer.Option(None, "--floor", help="Own floor instead of the kind's."),
    ceiling: str = typer.Option(None, "--ceiling", help="Own ceiling instead of the kind's."),
    email: list[str] = typer.Option([], "--email", help="Git e-mail (repeatable)."),
    role: list[str] = typer.Option([], "--role", help="Role such as treasurer (repeatable)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Add a member and commit members.yaml."""
    from coopledger.ledger import NewMember

    asked = NewMember(
        id=member_id,
        name=name.strip(),
        kind=kind,
        joined=parse_day(joined),
        emails=tuple(email),
        roles=tuple(role),
        floor=floor,
        ceiling=ceiling,
    )
    done = open_ledger().add_member(asked, as_member)
    print_problems(done.warnings)
    member, sha = done.value, done.sha or ""
    out.print(
        _("Added {member} ({name}, {kind}) (commit {commit})").format(
            member=member_id, name=member.name, kind=kind, commit=sha[:8]
        ),
        markup=False,
    )


@member_app.command("list")
def list_members(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the members with their kind, status and balance."""
    today = clock.today()
    found = open_ledger().members(today)
    rules, (roster, balances) = found.rules, found.items
    rows = {r.member: r for r in balances}
    if as_json:
        print_json(
            [
                {
                    "id": m.id,
                    "name": m.name,
                    "kind": m.kind,
                    "status": m.status_at(today),
                    "joined": m.joined.isoformat(),
                    "roles": list(m.roles),
                    "balance": format_amount(rows[m.id].balance, rules.decimals)
                    if m.id in rows
                    else None,
                }
                for m in roster
            ]
        )
        return
    cells = [
        [
            m.id,
            m.name,
            m.kind,
            m.status_at(today),
            m.joined.isoformat(),
            ", ".join(m.roles),
            format_amount(rows[m.id].balance, rules.decimals) if m.id in rows else "",
        ]
        for m in roster
    ]
    headings = ["id", "name", "kind", "status", "joined", "roles", "balance"]
    title = f"{rules.name}: {len(roster)} members"
    table = fitted_table(title, headings, cells, right={6}, optional=[5, 2, 3, 4], width=out.width)
    out.print(table)


@member_app.command("show")
def show(
    member_id: str = typer.Argument(..., metavar="ID"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one member: identity, limits, status and balance."""

    today = clock.today()
    found = open_ledger().members(today, member_id)
    rules, (roster, rows) = found.rules, found.items
    member = roster.get(member_id)
    assert member is not None  # `members` refuses an unknown one
    row = next((r for r in rows if r.member == member_id), None)
    if as_json:
        amount = lambda v: None if v is None else format_amount(v, rules.decimals)  # noqa: E731
        print_json(
            {
                "id": member.id,
                "name": member.name,
                "kind": member.kind,
                "joined": member.joined.isoformat(),
                "status": member.status_at(today),
                "emails": list(member.emails),
                "roles": list(member.roles),
                "account": member.account,
                "balance": amount(row.balance) if row else None,
                "floor": amount(row.floor) if row else None,
                "ceiling": amount(row.ceiling) if row else None,
                "currency": rules.currency,
            }
        )
        return
    lines = [
        f"{member.id}: {member.name}",
        f"  kind      {member.kind}",
        f"  joined    {member.joined.isoformat()}",
        f"  status    {member.status_at(today)}",
        f"  emails    {', '.join(member.emails) or '-'}",
        f"  roles     {', '.join(member.roles) or '-'}",
        f"  account   {member.account}",
    ]
    if row is not None:
        fmt = lambda v: "-" if v is None else f"{format_amount(v, rules.decimals)} {rules.currency}"  # noqa: E731
        lines += [
            f"  balance   {fmt(row.balance)}",
            f"  floor     {fmt(row.floor)}",
            f"  ceiling   {fmt(row.ceiling)}",
        ]
    for line in lines:
        out.print(line, markup=False)


def _status_command(member_id: str, status: str, date: str | None, as_member: str | None) -> None:
    from coopledger.plans.changes import plan_member_status

    day = parse_day(date)
    done = open_ledger().write(
        lambda coop, author: (plan_member_status(coop, member_id, status, day, author), None),
        as_member,
    )
    print_problems(done.warnings)
    sha = done.sha or ""
    said = {"left": "leaves on", "active": "is active again from"}.get(status, f"is {status} from")
    out.print(f"{member_id} {said} {day.isoformat()} (commit {sha[:8]})", markup=False)


@member_app.command("suspend")
def suspend(
    member_id: str = typer.Argument(..., metavar="ID"),
    date: str = typer.Option(None, "--date", help="From this date (default: today)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Suspend a member: no trades from that date on."""
    _status_command(member_id, "suspended", date, as_member)


@member_app.command("reactivate")
def reactivate(
    member_id: str = typer.Argument(..., metavar="ID"),
    date: str = typer.Option(None, "--date", help="From this date (default: today)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Make a suspended member active again."""
    _status_command(member_id, "active", date, as_member)


@member_app.command("leave")
def leave(
    member_id: str = typer.Argument(..., metavar="ID"),
    date: str = typer.Option(None, "--date", help="From this date (default: today)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Record that a member leaves; the balance must be zero."""
    _status_command(member_id, "left", date, as_member)
