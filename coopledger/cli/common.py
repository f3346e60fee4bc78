"""What every command shares: the app, the cooperative folder, output, errors."""

from __future__ import annotations

import datetime
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from coopledger import i18n
from coopledger.i18n import _
from coopledger.language.messages import describe, error_text, problem_line
from coopledger.model import clock
from coopledger.model.money import format_amount
from coopledger.model.problems import CoopError, Problem

if TYPE_CHECKING:
    from decimal import Decimal

    from coopledger.ledger import Ledger, Why
    from coopledger.model.journal import Trade
    from coopledger.model.rules import Rules

app = typer.Typer(
    name="coopledger",
    help="Books of an exchange cooperative (SEL, LETS, timebank), as plain text in git.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class ExitStatus(IntEnum):
    """What `coopledger` exits with, as scripts and CI read it."""

    OK = 0
    PROBLEMS = 1  # problems found in the books, or a write refused: nothing written
    USAGE = 2  # the command line itself is wrong (unknown option, missing argument)
    ENVIRONMENT = 3  # not a cooperative, git refuses, the journal is locked, the disk fails
    BUG = 70  # an unexpected failure in coopledger itself (sysexits' EX_SOFTWARE)


EXIT_OK = ExitStatus.OK
EXIT_PROBLEMS = ExitStatus.PROBLEMS

# refusals that say nothing about the books or the input: the place the command runs in
ENVIRONMENT_ERRORS = frozenset(
    {
        "not-a-cooperative",
        "not-a-git-repository",
        "detached-head",
        "dirty-tree",
        "journal-locked",
        "write-failed",
        "file-unreadable",
        "git-failed",
        "system-refused",
        "sparse-checkout",
        "skip-worktree",
        "assume-unchanged",
    }
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    directory: Path | None = None
    traceback: bool = False
    verbose: bool = False
    lang: str | None = None  # --lang, which nothing overrides


state = State()


def _show_version(value: bool) -> None:
    if value:
        from coopledger import __version__

        out.print(f"coopledger {__version__}", markup=False)
        raise typer.Exit(ExitStatus.OK)


@app.callback()
def _options(
    directory: Path = typer.Option(
        None,
        "--dir",
        "-C",
        help="The cooperative's folder (default: here or above).",
        envvar="COOPLEDGER_DIR",
    ),
    today: str = typer.Option(
        None,
        "--today",
        metavar="YYYY-MM-DD",
        help="Take this date as today (default: $COOPLEDGER_TODAY, else the system's date).",
    ),
    traceback: bool = typer.Option(
        False, "--traceback", help="On an unexpected failure, print Python's full traceback."
    ),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        help="Say how the books were read (snapshot, open period, full) and why.",
        envvar="COOPLEDGER_VERBOSE",
    ),
    lang: str = typer.Option(
        None,
        "--lang",
        metavar="en|fr",
        help="The language to speak (default: rules.yaml's language, else your locale).",
    ),
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_show_version,
        help="Print coopledger's version and exit.",
    ),
) -> None:
    state.directory = directory
    state.traceback = traceback
    state.verbose = verbose
    state.lang = lang
    if lang is not None and lang not in i18n.LANGUAGES:
        raise CoopError("bad-choice", value=lang, option="--lang", choices=i18n.LANGUAGES)
    spoken = None if lang else i18n.language_in_rules((directory or Path.cwd()).absolute())
    i18n.set_language(i18n.choose(lang, spoken, os.environ))
    clock.set_today(None if today is None else _iso_day(today))


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _iso_day(value: str) -> datetime.date:
    """YYYY-MM-DD in ASCII digits (not 20261125, 2026-W48-3 or other scripts' digits)."""
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CoopError("bad-date", value=value) from None


def open_ledger(cache: bool = True) -> Ledger:
    """The cooperative of --dir (or here, or a folder above), opened, once a write a
    killed command left is finished (rolled back, or completed if its commit
    landed), which is said on stderr; `cache=False` reads and checks every file."""
    from coopledger.ledger import Ledger

    books = Ledger.open(state.directory or Path.cwd(), cache)
    print_problems(books.recovered)
    return books


def parse_day(value: str | None, *, default: datetime.date | None = None) -> datetime.date:
    """A date typed as YYYY-MM-DD, or as the locale writes it (31/10/2026), or `default`
    (today). How far ahead an entry may be dated is a rule of the core
    (`rules.check_horizon`), checked where it is written."""
    if value is None:
        return default or clock.today()
    slashed = _SLASHED_DAY.fullmatch(value)
    return _iso_day(value) if slashed is None else _slashed_day(value, *slashed.groups())


_SLASHED_DAY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", re.ASCII)


def _date_or_none(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _slashed_day(value: str, first: str, second: str, year: str) -> datetime.date:
    """D/M/YYYY, as French writes a date (day first); in English, not a date, and
    said to be ambiguous when it reads both ways (10/11/2026: 10 November or October 11)."""
    day_first = _date_or_none(int(year), int(second), int(first))
    month_first = _date_or_none(int(year), int(first), int(second))
    if i18n.language() == "fr" and day_first is not None:
        return day_first
    if i18n.language() != "fr" and day_first and month_first and day_first != month_first:
        raise CoopError("date-ambiguous", value=value, day_first=day_first, month_first=month_first)
    raise CoopError("bad-date", value=value)


def say_route(route: str, reason: Why | None) -> None:
    """With --verbose: how the ledger read the books, and why a faster way was skipped."""
    if state.verbose:
        from coopledger.language.routes import route_line

        said = [(why.code, why.params) for why in reason or ()]
        err.print(route_line(route, said), markup=False)


def _say_reads() -> None:
    """With --verbose: each time the journal was read, the whole of it or the open
    period only (`coopledger.ledger.take_reads`), so that a command which says no
    route still shows it; and whether each write left the snapshot current for
    the next command (`coopledger.ledger.take_kept`)."""
    ledger = sys.modules.get("coopledger.ledger")
    if ledger is not None:
        for how in ledger.take_reads():  # taken, said or not
            if state.verbose:
                from coopledger.language.routes import loaded_line

                err.print(loaded_line(how), markup=False)
        for why in ledger.take_kept():  # did a write leave the snapshot current?
            if state.verbose:
                from coopledger.language.routes import kept_line

                said = None if why is None else (why.code, why.params)
                err.print(kept_line(said), markup=False)


def _say_recovered() -> None:
    """What taking the write lock finished of a killed command's write (`store.recover`)."""
    if "coopledger.storage.store" in sys.modules:
        print_problems(sys.modules["coopledger.storage.store"].take_recovered())


def print_problems(problems: Iterable[Problem], console: Console = err) -> None:
    for problem in problems:
        console.print(problem_line(problem), markup=False)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _plain(value: object) -> Any:
    """A problem's fact in JSON: amounts as text, ISO dates, lists."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str | int):
        return value
    return str(value)


def problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "code": problem.code,
        "severity": problem.severity.value,
        "message": describe(problem),
        "params": {key: _plain(value) for key, value in problem.params.items()},
    }


def error_line(error: CoopError) -> str:
    """`error: what is wrong` and, below, `→ how to fix it`, in the reader's language."""
    return _("{severity}: {text}").format(severity=_("error"), text=error_text(error))


def money_text(value: Decimal, rules: Rules) -> str:
    """An amount with its unit, for people: `12.50 SEL` in English, and in French as
    the locale writes it with the unit's name, `1 234,50 grains de sel` (rules.yaml
    `currency_name`, `currency_plural`)."""
    from coopledger.model.money import format_amount, rounded

    if i18n.language() == i18n.DEFAULT:
        return f"{format_amount(value, rules.decimals)} {rules.currency}"
    return f"{i18n.amount_text(rounded(value, rules.decimals))} {rules.unit_name(value)}"


def commit_line(message: str, sha: str) -> str:
    """What a write did, as its commit subject says it, in the reader's language, and
    the commit: `set name to X (commit 1a2b3c4d)`."""
    from coopledger.language.commits import subject_text

    return _("{subject} (commit {commit})").format(subject=subject_text(message), commit=sha[:8])


def exit_status(error: CoopError) -> ExitStatus:
    return ExitStatus.ENVIRONMENT if error.code in ENVIRONMENT_ERRORS else ExitStatus.PROBLEMS


GLOBAL_WITH_VALUE = ("--dir", "-C", "--today", "--lang")
GLOBAL_FLAGS = ("--traceback",)


def global_options_first(argv: list[str]) -> list[str]:
    """`argv` with the global options given after the command name (`coopledger check
    --dir sel --today 2026-11-25`) moved before it, where click reads them. Nothing
    after `--` moves."""
    index = _after_global_options(argv)
    front, rest, moved = argv[:index], argv[index:], []
    kept: list[str] = []
    position = 0
    while position < len(rest):
        word = rest[position]
        if word == "--":
            kept += rest[position:]
            break
        if word in GLOBAL_WITH_VALUE and position + 1 < len(rest) and kept:
            moved += rest[position : position + 2]
            position += 2
            continue
        if kept and (word in GLOBAL_FLAGS or word.startswith(("--dir=", "--today=", "--lang="))):
            moved.append(word)
        else:
            kept.append(word)
        position += 1
    return [*front, *moved, *kept]


def _after_global_options(argv: Sequence[str]) -> int:
    """Where the global options at the front of `argv` end."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in GLOBAL_WITH_VALUE:
            index += 2
        elif word in GLOBAL_FLAGS or word.startswith(("--dir=", "--today=", "--lang=")):
            index += 1
        else:
            break
    return index


def command_word(argv: Sequence[str]) -> str | None:
    """The command `argv` names (after the global options `global_options_first`
    put in front), if the next word is not an option; None while completing."""
    index = _after_global_options(argv)
    if index >= len(argv) or argv[index].startswith("-") or "_COOPLEDGER_COMPLETE" in os.environ:
        return None
    return argv[index]


def run(application: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the app; the one place where failures become messages and exit codes."""
    state.traceback = False
    state.lang = None
    argv = global_options_first(sys.argv[1:] if argv is None else argv)
    try:
        from coopledger.cli.helptexts import early_language, in_language

        # the help is built in the language of the run: known before click reads argv
        i18n.set_language(early_language(argv, os.environ))
        command = in_language(application, command_word(argv))
        ledger = sys.modules.get("coopledger.ledger")
        if ledger is not None:  # what writes before this command left (Python callers)
            ledger.take_kept()
        # without standalone mode, click returns the code of a typer.Exit instead of raising
        code = command.main(args=argv, prog_name="coopledger", standalone_mode=False)
        _say_recovered()
        _say_reads()
    except CoopError as error:
        _say_recovered()
        _say_reads()
        err.print(error_line(error), markup=False)
        print_problems(error.problems)
        return exit_status(error)
    except typer.Exit as done:
        _say_reads()
        return int(done.exit_code or 0)
    except typer.Abort:  # Ctrl-C, or the end of the input at a question
        err.print(_("aborted"), markup=False)
        return EXIT_PROBLEMS
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else EXIT_PROBLEMS
    except OSError as error:  # the system refused (a read-only .git, a full disk): no traceback
        where = str(error.filename) if error.filename else "a file"
        refused = CoopError("system-refused", path=where, detail=error.strerror or str(error))
        err.print(error_line(refused), markup=False)
        return exit_status(refused)
    except Exception as error:  # click usage errors and the unexpected
        import click

        # typer >= 0.20 vendors click: its usage errors are not click's own classes
        if isinstance(error, (click.ClickException, typer.TyperException)) and hasattr(
            error, "show"
        ):
            if i18n.language() == i18n.DEFAULT:
                error.show()
            else:
                from coopledger.cli.helptexts import usage_error_text

                sys.stderr.write(usage_error_text(error))
            return int(getattr(error, "exit_code", ExitStatus.USAGE))
        if state.traceback:
            raise
        err.print(
            f"internal error: {type(error).__name__}: {error}\n"
            "  → this is a bug in coopledger, not in your books: nothing was committed;"
            " run the command again with --traceback (coopledger --traceback ...) and report it",
            markup=False,
        )
        return ExitStatus.BUG
    return int(code) if isinstance(code, int) else EXIT_OK


def trade_record(trade: Trade, decimals: int, currency: str) -> dict[str, Any]:
    """A trade as `--json` prints it."""
    return {
        "id": trade.trade_id,
        "date": trade.date.isoformat(),
        "payer": trade.payer,
        "payee": trade.payee,
        "amount": format_amount(trade.amount, decimals),
        "currency": currency,
        "memo": trade.memo,
        "category": trade.category,
        "file": trade.file,
        "line": trade.line,
        "levies": [
            {
                "member": lv.member,
                "account": lv.account,
                "amount": format_amount(lv.amount, decimals),
            }
            for lv in trade.levies
        ],
    }
