"""close, reverse, ci (the gate that `check --since/--rev` runs is coopledger.review.gatekeeper)."""

from __future__ import annotations

import datetime

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
from coopledger.founding.ci_templates import PLATFORMS, pinned_source
from coopledger.i18n import N_, _
from coopledger.language.words import counted
from coopledger.model.problems import CoopError

# ---------------------------------------------------------------- close, reverse


@app.command()
def close(
    month: str = typer.Argument(..., help="The month to close, YYYY-MM."),
    as_member: str = typer.Option(None, "--as", help="Treasurer who signs the commit."),
    with_earlier: bool = typer.Option(
        False, "--with-earlier", help="Also close every earlier month not closed yet."
    ),
    keep_files: bool = typer.Option(
        False, "--keep-files", help="Keep each file of the month; do not gather them into one."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Close a month (treasurer): record every balance and a fingerprint of its entries,
    and gather the month's files into one."""
    from coopledger.model.closing import CLOSE_FILE_NAME, GATHERED_FILE_NAME

    books = open_ledger()
    done = books.close(month, as_member, with_earlier=with_earlier, gather=not keep_files)
    print_problems(done.warnings)
    change, count, sha = done.change, done.value, done.sha or ""
    assert change is not None  # a close always writes
    closes = [*change.files, *(f"{new.path}/{CLOSE_FILE_NAME}" for new in change.folders)]
    closes.sort()
    months = ", ".join(f"{path.split('/')[1]}-{path.split('/')[2]}" for path in closes)
    if as_json:
        gathered_files = [f"{new.path}/{GATHERED_FILE_NAME}" for new in change.folders]
        print_json(
            {
                "months": months.split(", "),
                "closes": closes,
                "entries": count,
                "gathered": gathered_files,
                "commit": sha,
            }
        )
        return
    named = [
        i18n.month_text(datetime.date(int(path.split("/")[1]), int(path.split("/")[2]), 1))
        for path in closes
    ]
    out.print(
        _("Closed {months}: {entries} fingerprinted in {files} (commit {commit})").format(
            months=i18n.list_text(named),
            entries=counted(count, N_("{count} entry"), N_("{count} entries")),
            files=", ".join(closes),
            commit=sha[:8],
        ),
        markup=False,
    )
    for new in change.folders:
        gathered = _("{folder}: the month's files gathered into {file}").format(
            folder=new.path, file=GATHERED_FILE_NAME
        )
        out.print(f"  {gathered}", markup=False)


@app.command()
def reverse(
    trade_id: str = typer.Argument(..., metavar="TRADE_ID", help="The trade's id."),
    memo: str = typer.Option(None, "--memo", "-m", help="Why (default: 'reversal of ...')."),
    date: str = typer.Option(None, "--date", help="Date of the reversal (default: today)."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Record the exact counter-entry of a trade, linked to it by `reverses:`."""
    done = open_ledger().reverse(trade_id, parse_day(date), memo, as_member)
    print_problems(done.warnings)
    recorded, rules, sha = done.value.trade, done.rules, done.sha or ""
    trade_id = done.value.reversed_id  # in full, when the start of an id was given
    if as_json:
        from coopledger.cli.common import trade_record

        reversal = trade_record(recorded, rules.decimals, rules.currency)
        print_json({"reversed": trade_id, "reversal": reversal, "commit": sha})
        return
    out.print(
        _(
            "Reversed {trade_id} with {reversal}: {payer} → {payee} {amount} (commit {commit})"
        ).format(
            trade_id=trade_id,
            reversal=recorded.trade_id,
            payer=recorded.payer,
            payee=recorded.payee,
            amount=money_text(recorded.amount, rules),
            commit=sha[:8],
        ),
        markup=False,
    )


# ---------------------------------------------------------------- ci


@app.command()
def ci(
    platform: str = typer.Argument(..., help="github or gitlab."),
    force: bool = typer.Option(False, "--force", help="Replace existing CI files."),
    as_member: str = typer.Option(None, "--as", help="Member who signs the commit."),
    source: str = typer.Option(
        None,
        "--source",
        help="Where the CI installs coopledger from: a VCS URL pinned to a commit, "
        "e.g. git+https://example.org/coop/coopledger@COMMIT (default: where this "
        "coopledger was installed from, if that pins a commit).",
    ),
) -> None:
    """Write a CI configuration that runs `coopledger check --since <base>` on every
    pull request, and a pre-commit hook running `coopledger check --staged`."""
    if platform not in PLATFORMS:
        raise CoopError("bad-ci-platform", value=platform, choices=", ".join(PLATFORMS))
    pinned = pinned_source(source, "--source")
    written = open_ledger().write_ci(platform, force, pinned, as_member)
    for name in written:
        out.print(_("Wrote {file}").format(file=name), markup=False)
    if not written:
        out.print(
            _("The {platform} CI files are already up to date").format(platform=platform),
            markup=False,
        )
