"""The demo cooperative at the root of this repository, SEL du Canal, stays valid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coopledger.cli import main

ROOT = Path(__file__).resolve().parents[1]
BEAN_CHECK = str(Path(sys.executable).parent / "bean-check")


def test_coopledger_check_passes_on_the_root_demo(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--dir", str(ROOT), "check"])

    output = capsys.readouterr()
    assert code == 0, output.out + output.err
    assert "ok: 25 members" in output.out
    assert "balances sum to 0.00 SEL; 0 warnings" in output.out


def test_bean_check_passes_on_the_root_demo() -> None:
    result = subprocess.run(
        [BEAN_CHECK, str(ROOT / "journal/main.beancount")], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == result.stderr == ""


def test_the_root_demo_has_a_treasurer_and_balances_that_sum_to_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--dir", str(ROOT), "balances", "--json", "--at", "2026-11-22"])

    balances = json.loads(capsys.readouterr().out)
    assert code == 0
    assert balances["total"] == "0.00"
    assert len(balances["balances"]) == 25
    assert "emails: [claire@example.org]\n    roles: [treasurer]" in (
        ROOT / "members.yaml"
    ).read_text(encoding="utf-8")
