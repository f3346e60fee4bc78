"""member edit, rules set, commit: change members.yaml and rules.yaml by command, or
commit what was edited by hand, each checked like every other write."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from coopledger.cli.common import app, cooperative_root, out, print_problems, writing
from coopledger.cli.lazy import lazy_module
from coopledger.cli.member_commands import member_app
from coopledger.i18n import N_, _
from coopledger.problems import CoopError
from coopledger.words import counted

if TYPE_CHECKING:
    from coopledger import gitrepo, store
else:
    gitrepo, store = lazy_module("coopledger.gitrepo"), lazy_module("coopledger.store")

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
    from coopledger.edits import plan_member_edit

    root = cooperative_root()
    with writing(root, as_member) as session:
        change = plan_member_edit(
            session.coop,
            member_id,
            name=name,
            emails=email or None,
            add_emails=add_email,
            kind=kind,
            author=session.author,
        )
        sha = session.record(change)
    out.print(f"{change.message.removeprefix('member: ')} (commit {sha[:8]})", markup=False)


@rules_app.command("set", context_settings={"ignore_unknown_options": True})  # -600
def rules_set(
    key: str = typer.Argument(
        ..., metavar="KEY", help="The key, with dots: limits.person.floor, name..."
    ),
    value: str = typer.Argument(..., metavar="VALUE", help="Its new value."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
) -> None:
    """Set one value of rules.yaml (comments kept), check the books under it, commit."""
    from coopledger.edits import plan_rules_set

    root = cooperative_root()
    with writing(root, as_member) as session:
        change = plan_rules_set(session.coop, key, value, session.author)
        sha = session.record(change)
    out.print(f"{change.message.removeprefix('rules: ')} (commit {sha[:8]})", markup=False)


@app.command("commit")
def commit_command(
    message: str = typer.Option(..., "--message", "-m", help="What you changed, and why."),
) -> None:
    """Check what you edited by hand (as the pull-request gate would, as you), and commit it."""
    from coopledger.gatekeeper import gate_history, gate_problems, gate_refuses_loading

    if not message.strip():
        raise CoopError("commit-no-message")
    root = cooperative_root()
    with store.locked(root):
        history = gate_history(root, "HEAD", None, False)
        if history is None or not history.commits:
            raise CoopError("nothing-to-commit")
        if gate_refuses_loading(history):
            problems = gate_problems(root, "HEAD", None, False, history=history)
        else:
            coop = store.load(root)
            read = (coop.rules, coop.roster)
            problems = [*coop.problems, *gate_problems(root, "HEAD", None, False, read, history)]
        errors = [p for p in problems if p.is_error]
        if errors:
            raise CoopError("commit-refused", problems=tuple(errors))
        pending = history.commits[-1]
        repo = gitrepo.open_repo(root)
        author = (pending.author_name, pending.author_email)
        paths = sorted(version.path for version in pending.files)
        sha = gitrepo.commit(repo, paths, message.strip(), author)
    print_problems(p for p in problems if not p.is_error)
    files = counted(len(paths), N_("{count} file"), N_("{count} files"))
    said = _("Committed {files} (commit {commit}): {paths}")
    out.print(said.format(files=files, commit=sha[:8], paths=", ".join(paths)), markup=False)
