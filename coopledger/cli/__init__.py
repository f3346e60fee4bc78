"""The `coopledger` command line: a thin face over the core.

Each command parses its arguments, calls the core, renders the result and
chooses the exit code. Every `CoopError` is turned into words in one place,
`main()`.
"""

from __future__ import annotations

import sys

import coopledger.cli.clearing_commands  # invoice, invoices, settle, clear
import coopledger.cli.demo_commands
import coopledger.cli.gate_commands  # close, reverse, ci
import coopledger.cli.report_commands  # report, statement, import, export
import coopledger.cli.rules_commands  # noqa: F401 - apply-rules, member limit
from coopledger.cli import ledger_commands, member_commands  # noqa: F401 - registers commands
from coopledger.cli.common import app, run


def main(argv: list[str] | None = None) -> int:
    """Run `coopledger` with `argv` (default: the command line); return the exit code."""
    return run(app, argv)


def entry() -> None:
    sys.exit(main())
