"""member edit, rules set, commit: change members.yaml and rules.yaml by command, or
commit what was edited by hand, each checked like every other write."""

from __future__ import annotations

import typer

from coopledger.cli.common import app, commit_line, open_ledger, out, print_problems
from coopledger.cli.member_commands import member_app
from coopledger.i18n import N_, _
from coopledger.language.words import counted

rules_app = typer.Typer(help="Change rules.yaml by command.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@member_app.command("edit")
def edit(
    member_id: str = typer.Argument(..., metavar="ID"),
    name: str = typer.Option(None, "--name", help="New full name."),
    email: list[str] = typer.Option(
        None, "--email", help="The member's git e-mails (repeatable): replaces them."
    ),
    add_email: list[str] = typer.Option(
        [], "--add-email", help="One more e-mail, e.g. a forge's no-reply address (repeatable)."
    ),
    kind: str = typer.Option(None, "--kind", help="New kind (person, business...)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Change a member's name, e-mail addresses or kind, and commit members.yaml."""
    from coopledger.plans.edits import plan_member_edit

    done = open_ledger().write(
        lambda coop, author: (
            plan_member_edit(
                coop,
                member_id,
                name=name,
                emails=email or None,
                add_emails=add_email,
                kind=kind,
                author=author,
            ),
            None,
        ),
        as_member,
    )
    print_problems(done.warnings)
    change, sha = done.change, done.sha or ""
    assert change is not None
    out.print(commit_line(change.message, sha), markup=False)


@rules_app.command("set", context_settings={"ignore_unknown_options": True})  # -600
def rules_set(
    key: str = typer.Argument(
        ..., metavar="KEY", help="The key, with dots: limits.person.floor, name..."
    ),
    value: str = typer.Argument(..., metavar="VALUE", help="Its new value."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Set one value of rules.yaml (comments kept), check the books under it, commit."""
    from coopledger.plans.edits import plan_rules_set

    done = open_ledger().write(
        lambda coop, author: (plan_rules_set(coop, key, value, author), None), as_member
    )
    print_problems(done.warnings)
    change, sha = done.change, done.sha or ""
    assert change is not None
    out.print(commit_line(change.message, sha), markup=False)


@app.command("commit")
def commit_command(
    message: str = typer.Option(..., "--message", "-m", help="What you changed, and why."),
) -> None:
    """Check what you edited by hand (as the pull-request gate would, as you), and commit it."""
    done = open_ledger().commit_edits(message)
    print_problems(done.warnings)
    paths = done.paths
    files = counted(len(paths), N_("{count} file"), N_("{count} files"))
    said = _("Committed {files} (commit {commit}): {paths}")
    out.print(said.format(files=files, commit=done.sha[:8], paths=", ".join(paths)), markup=False)
