"""The `coopledger` command line: a thin face over the core.

Each command parses its arguments, calls the core, renders the result and
chooses the exit code. Every `CoopError` is turned into words in one place,
`main()`.
"""

from __future__ import annotations

import sys

import typer

import coopledger.cli.clearing_commands  # invoice, invoices, settle, clear
import coopledger.cli.completion_commands  # completion
import coopledger.cli.demo_commands
import coopledger.cli.edit_commands  # member edit, rules set, commit
import coopledger.cli.gate_commands  # close, reverse, ci
import coopledger.cli.help_commands  # help
import coopledger.cli.report_commands  # report, statement, import, export
import coopledger.cli.rules_commands  # apply-rules, member limit
import coopledger.cli.trades_commands  # noqa: F401 - trades
from coopledger.cli import (  # noqa: F401 - registers commands
    ledger_commands,
    member_commands,
    partner_commands,  # partner add/list/sync/check, federation clear
)
from coopledger.cli.common import app, run

# `coopledger --help` lists the everyday commands first, whatever the import order
HELP_ORDER = [
    "init", "trade", "trades", "balances", "check", "report", "statement", "import", "export",
    "invoice", "invoices", "settle", "clear", "apply-rules", "close", "reverse", "commit", "ci",
    "demo", "help", "completion",
]  # fmt: skip


def _help_rank(command: typer.models.CommandInfo) -> int:
    callback = command.callback.__name__ if command.callback else ""
    name = command.name or callback.replace("_", "-")
    return HELP_ORDER.index(name) if name in HELP_ORDER else len(HELP_ORDER)


app.registered_commands.sort(key=_help_rank)


def main(argv: list[str] | None = None) -> int:
    """Run `coopledger` with `argv` (default: the command line); return the exit code."""
    return run(app, argv)


def entry() -> None:
    sys.exit(main())
