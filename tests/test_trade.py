"""`coopledger trade`: a payment between two members, checked, written and committed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import Coop


def balances(coop: Coop) -> dict[str, str]:
    result = coop.run("balances", "--json")
    assert result.code == 0, result.text
    return json.loads(result.out)["balances"]


def test_a_trade_is_written_committed_and_moves_both_balances(coop: Coop) -> None:
    result = coop.run(
        "trade", "alice", "fournil", "40", "--memo", "pain, novembre", "--date", "2026-11-20"
    )

    assert result.code == 0, result.text
    assert "alice → fournil 40.00 SEL" in result.out
    assert coop.log()[0] == "trade: alice → fournil 40.00 SEL — pain, novembre"
    assert coop.status() == ""
    entry = coop.read(coop.last_written())  # a file of its own: journal/2026/11/20/alice.<id>
    assert coop.last_written().startswith("journal/2026/11/20/alice.2026-11-20-")
    assert '2026-11-20 * "pain, novembre"' in entry
    assert "Assets:Members:Alice" in entry and "-40.00 SEL" in entry
    assert balances(coop) == {"tresa": "0.00", "alice": "-40.00", "bob": "0.00", "fournil": "40.00"}


def test_a_trade_below_the_floor_is_refused_and_changes_nothing(coop: Coop) -> None:
    before = coop.log()

    result = coop.run("trade", "alice", "bob", "500.01", "--date", "2026-11-20")

    assert result.code == 1
    assert "below its floor of -500.00 SEL" in result.err
    assert coop.log() == before
    assert coop.status() == ""
    assert not (coop.root / "journal/2026/11").exists()


def test_a_trade_commits_only_its_own_file_and_leaves_the_tree_clean(coop: Coop) -> None:
    before = coop.git("rev-parse", "HEAD").strip()

    assert coop.run("trade", "alice", "bob", "12", "--date", "2026-11-20").code == 0

    assert coop.git("rev-parse", "HEAD~1").strip() == before
    (written,) = coop.git("show", "--name-only", "--format=", "HEAD").split()
    assert written.startswith("journal/2026/11/20/alice.2026-11-20-")
    assert coop.status() == ""
    assert "commit: trade: alice → bob 12.00 SEL" in coop.git("reflog", "-1")


def test_a_trade_leaves_what_someone_staged_elsewhere_staged_and_uncommitted(coop: Coop) -> None:
    coop.write("notes.txt", "ordre du jour\n")
    coop.git("add", "notes.txt")

    assert coop.run("trade", "alice", "bob", "12", "--date", "2026-11-20").code == 0

    (written,) = coop.git("show", "--name-only", "--format=", "HEAD").split()
    assert written.startswith("journal/2026/11/20/alice.")
    assert coop.status() == "A  notes.txt\n"


def test_balances_in_80_columns_keep_ids_names_and_balances_whole(coop: Coop) -> None:
    long_id = "atelier-velo-solidaire-du-canal"
    assert coop.run("member", "add", long_id, "--name", "Atelier vélo solidaire du canal",
                    "--kind", "business", "--joined", "2024-01-01").code == 0  # fmt: skip
    assert coop.run("trade", "fournil", long_id, "1234.56", "--date", "2024-02-01").code == 0
    env = {**os.environ, "COLUMNS": "80"}

    shown = subprocess.run(
        [sys.executable, "-m", "coopledger", "--dir", str(coop.root), "balances"],
        capture_output=True, text=True, check=True, env=env,
    ).stdout  # fmt: skip

    assert long_id in shown
    for whole in ("1234.56", "-1234.56"):
        assert whole in shown, (whole, shown)
    assert "Atelier vélo solidaire du canal" in shown, "names are always shown"
    assert "left out for lack of room (80 columns): can receive, can pay" in shown
    wide = subprocess.run(
        [sys.executable, "-m", "coopledger", "--dir", str(coop.root), "balances"],
        capture_output=True, text=True, check=True, env={**env, "COLUMNS": "160"},
    ).stdout  # fmt: skip
    assert "Atelier vélo solidaire du canal" in wide
