"""member add, list, show, suspend, reactivate, leave."""

from __future__ import annotations

import typer

from coopledger import i18n
from coopledger.cli.common import (
    app,
    money_text,
    open_ledger,
    out,
    parse_day,
    print_json,
    print_problems,
)
from coopledger.cli.tables import fitted_table
from coopledger.i18n import N_, _, pgettext
from coopledger.language.words import counted
from coopledger.model import clock
from coopledger.model.money import format_amount, rounded

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
            i18n.status_word(m.status_at(today)),
            i18n.date_text(m.joined, short=True),
            ", ".join(m.roles),
            i18n.amount_text(rounded(rows[m.id].balance, rules.decimals)) if m.id in rows else "",
        ]
        for m in roster
    ]
    words = (_("id"), _("name"), _("kind"), _("status"), pgettext("member", "joined"))
    headings = [*words, _("roles"), _("balance")]
    members = counted(len(roster), N_("{count} member"), N_("{count} members"))
    title = _("{name}: {members}").format(name=rules.name, members=members)
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
    facts = [
        (_("kind"), member.kind),
        (pgettext("member", "joined"), i18n.date_text(member.joined)),
        (_("status"), i18n.status_word(member.status_at(today))),
        (_("emails"), ", ".join(member.emails) or "-"),
        (_("roles"), ", ".join(member.roles) or "-"),
        (_("account"), member.account),
    ]
    if row is not None:
        fmt = lambda v: "-" if v is None else money_text(v, rules)  # noqa: E731
        facts += [
            (_("balance"), fmt(row.balance)),
            (_("floor"), fmt(row.floor)),
            (_("ceiling"), fmt(row.ceiling)),
        ]
    width = max(10, *(len(label) + 2 for label, _value in facts))
    out.print(f"{member.id}: {member.name}", markup=False)
    for label, value in facts:
        out.print(f"  {label:<{width}}{value}", markup=False)


def _status_command(member_id: str, status: str, date: str | None, as_member: str | None) -> None:
    from coopledger.plans.changes import plan_member_status

    day = parse_day(date)
    done = open_ledger().write(
        lambda coop, author: (plan_member_status(coop, member_id, status, day, author), None),
        as_member,
    )
    print_problems(done.warnings)
    sha = done.sha or ""
    said = {
        "left": N_("{member} leaves on {date} (commit {commit})"),
        "active": N_("{member} is active again from {date} (commit {commit})"),
        "suspended": N_("{member} is suspended from {date} (commit {commit})"),
    }[status]
    out.print(
        _(said).format(member=member_id, date=i18n.date_text(day), commit=sha[:8]), markup=False
    )


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
