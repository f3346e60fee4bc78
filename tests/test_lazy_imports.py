"""The command line imports only what a command uses (coopledger/cli/lazy.py).

Each case runs `coopledger` in a fresh interpreter and lists the modules loaded
when it exits: a module-level import of the store, git or beancount in any
command module makes these fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coopledger.cli import demo_commands
from coopledger.founding.demo import DEFAULT_UNTIL
from tests.conftest import Coop

# runs the command in-process, then writes the exit code and every loaded module
RUNNER = """
import json, sys
from coopledger.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as done:
    json.dump({"code": code, "modules": sorted(sys.modules)}, done)
"""

HEAVY = (
    "beancount",
    "git",
    "coopledger.storage.store",
    "coopledger.git.gitrepo",
    "coopledger.validation.checks",
)


def loaded_by(tmp_path: Path, *argv: str) -> tuple[int, set[str], str]:
    """Exit code, loaded modules and standard output of `coopledger ARGV` in a new process."""
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if k != "COOPLEDGER_DIR"}
    ran = subprocess.run(
        [sys.executable, "-c", RUNNER, str(report), *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.exists(), ran.stderr
    done = json.loads(report.read_text(encoding="utf-8"))
    return done["code"], set(done["modules"]), ran.stdout


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.startswith(("beancount.", "git.")))


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_clear_invoices_imports_neither_beancount_nor_git(tmp_path: Path, extra: list[str]) -> None:
    (tmp_path / "invoices.csv").write_text(
        "debtor,creditor,amount,ref\nA,B,10,r1\nB,C,10,r2\nC,A,5,r3\n", encoding="utf-8"
    )
    code, modules, stdout = loaded_by(tmp_path, "clear", "--invoices", "invoices.csv", *extra)
    assert code == 0
    assert "15.00" in stdout  # it did clear: 5 around the triangle A -> B -> C -> A
    assert "ortools.graph.python.min_cost_flow" in modules
    assert heavy_in(modules) == []


def test_clear_invoices_error_imports_neither_beancount_nor_git(tmp_path: Path) -> None:
    (tmp_path / "invoices.csv").write_text("debtor,creditor,amount\nA,A,10\n", encoding="utf-8")
    code, modules, _ = loaded_by(tmp_path, "clear", "--invoices", "invoices.csv")
    assert code == 1
    assert heavy_in(modules) == []


def test_help_imports_no_core_that_reads_the_journal(tmp_path: Path) -> None:
    code, modules, stdout = loaded_by(tmp_path, "--help")
    assert code == 0
    assert "clear" in stdout and "trade" in stdout
    assert heavy_in(modules) == []
    assert (
        not {"numpy", "ortools", "coopledger.cache.snapshot", "coopledger.reporting.reports"}
        & modules
    )


def test_a_journal_command_still_loads_the_store(tmp_path: Path) -> None:
    # the stand-ins import their module when used: `check` outside a cooperative
    # reaches store.find_root and says so
    code, modules, _ = loaded_by(tmp_path, "check")
    assert code == 3  # ExitStatus.ENVIRONMENT
    assert "coopledger.storage.store" in modules


# what the everyday commands do not use when the snapshot answers: the gate's rules
# (a change is judged only with --since/--rev/--staged), the parallel read of a big
# members.yaml (a full load only), the planners of writes, the report's and the
# closed months' modules
NEVER_WHEN_WARM = {
    *("coopledger.review.gate", "multiprocessing", "concurrent.futures"),
    *("coopledger.plans.changes", "coopledger.plans.fees"),
}
NOT_WHEN_WARM = {command: set(NEVER_WHEN_WARM) for command in ("check", "balances", "report")}
NOT_WHEN_WARM["check"] |= {"coopledger.reporting.reports", "coopledger.cache.closed_index"}
NOT_WHEN_WARM["balances"] |= {"coopledger.reporting.reports", "coopledger.cache.closed_index"}


@pytest.mark.parametrize("command", sorted(NOT_WHEN_WARM))
def test_a_warm_command_imports_only_what_it_uses(coop: Coop, command: str) -> None:
    assert coop.run("trade", "alice", "bob", "5").code == 0  # the snapshot is saved
    code, modules, _ = loaded_by(coop.root, "--dir", str(coop.root), command)
    assert code == 0
    assert "coopledger.cache.snapshot" in modules  # it did read the snapshot
    assert NOT_WHEN_WARM[command] & modules == set()


def test_demo_default_date_is_the_demos() -> None:
    assert DEFAULT_UNTIL.isoformat() == demo_commands.DEFAULT_UNTIL


def test_a_warm_trade_by_a_treasurer_imports_neither_the_gate_nor_click(coop: Coop) -> None:
    # the gate's warnings are for members who are no treasurer; the new entry is
    # aligned as bean-format aligns, without importing it (it imports click)
    assert coop.run("trade", "alice", "bob", "5").code == 0  # the snapshot is saved
    code, modules, _ = loaded_by(coop.root, "--dir", str(coop.root), "trade", "bob", "alice", "2")
    assert code == 0
    assert "coopledger.cache.snapshot" in modules
    assert {"coopledger.review.gate", "click", "beancount.scripts.format"} & modules == set()
