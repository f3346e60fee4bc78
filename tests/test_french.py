"""coopledger in French: the language chosen by --lang, rules.yaml or the locale;
golden transcripts of the demo's monthly report, a refused trade, `check` with two
problems and `trade --help`, in English and French (UPDATE_GOLDEN=1 regenerates
them, never by hand); the locale's forms of amounts and dates on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from coopledger.cli import main
from tests.conftest import Coop, assert_golden

GOLDEN = Path(__file__).parent / "golden" / "french"


def golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


@pytest.fixture
def demo(coop: Coop, tmp_path: Path) -> Coop:
    target = tmp_path / "demo"
    args = ("demo", str(target), "--members", "12", "--months", "2", "--trades", "150")
    assert coop.run(*args, "--seed", "9").code == 0
    return Coop(target, coop.capsys)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_demo_monthly_report(demo: Coop, language: str) -> None:
    result = demo.run("--lang", language, "report", "2026-11")

    assert result.code == 0, result.text
    golden(f"report.{language}.txt", result.out)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_refused_trade(coop: Coop, language: str) -> None:
    assert coop.run("trade", "alice", "bob", "450", "--date", "2026-11-02").code == 0

    result = coop.run(
        "--lang", language, "trade", "alice", "bob", "1 234,50", "--date", "02/11/2026"
    )

    assert result.code == 1
    golden(f"trade-refused.{language}.txt", result.err)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_check_with_two_problems(coop: Coop, language: str) -> None:
    coop.append(
        "journal/2026/11/alice.beancount",
        '\n2026-11-03 * "soupe"\n'
        "  Assets:Members:Alice  -3.005 SEL\n  Assets:Members:Alice  3.005 SEL\n",
    )
    coop.commit_all()

    result = coop.run("--lang", language, "check")

    assert result.code == 1
    golden(f"check.{language}.txt", result.out + result.err)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_trade_help(coop: Coop, language: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(["--dir", str(coop.root), "--lang", language, "trade", "--help"])

    assert code == 0
    golden(f"trade-help.{language}.txt", capsys.readouterr().out)


def test_french_amounts_and_dates_on_the_command_line(coop: Coop) -> None:
    result = coop.run("--lang", "fr", "trade", "alice", "bob", "1 2,50", "--date", "31/10/2026")
    assert result.code == 1  # a space groups three digits only: not a number
    assert "'1 2,50' n'est pas un montant" in result.err

    ok = coop.run("--lang", "fr", "trade", "alice", "bob", "12,50", "--date", "31/10/2026")

    assert ok.code == 0, ok.text
    assert "12.50 SEL" in coop.read(coop.last_written())  # the journal: dotted
    assert "2026-10-31" in coop.read(coop.last_written())  # and ISO


def test_the_language_of_rules_yaml_and_the_locale(
    coop: Coop, monkeypatch: pytest.MonkeyPatch
) -> None:
    english = coop.run("trade", "alcie", "bob", "5")
    assert english.err.startswith("error: 'alcie' is not a member")

    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert coop.run("trade", "alcie", "bob", "5").err.startswith("erreur : 'alcie' n'est pas")

    coop.append("rules.yaml", "language: en\n")  # the cooperative's choice wins
    assert coop.run("trade", "alcie", "bob", "5").err.startswith("error: ")
    assert coop.run("--lang", "fr", "trade", "alcie", "bob", "5").err.startswith("erreur : ")


def test_init_writes_the_language(coop: Coop, tmp_path: Path) -> None:
    target = tmp_path / "nouvelle"
    result = coop.run(
        *("init", str(target), "--language", "fr", "--treasurer", "tresa"),
        *("--email", "tresa@example.org"),
    )

    assert result.code == 0, result.text
    assert "language: fr" in (target / "rules.yaml").read_text(encoding="utf-8")
    new = Coop(target, coop.capsys)
    new.git("config", "user.email", "tresa@example.org")
    refused = new.run("trade", "alcie", "tresa", "5")
    assert refused.err.startswith("erreur : 'alcie' n'est pas membre")


def test_init_refuses_a_language_it_does_not_speak(coop: Coop, tmp_path: Path) -> None:
    target = tmp_path / "nouvelle"
    result = coop.run("init", str(target), "--language", "de", "--treasurer", "tresa")

    assert result.code == 1
    assert "'de' is not a choice for --language" in result.err
    assert not target.exists() or not any(target.iterdir())


def test_balances_in_french_and_json_unchanged(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "12.50", "--date", "2026-11-02").code == 0

    text = coop.run("--lang", "fr", "balances").out
    as_json = coop.run("--lang", "fr", "balances", "--json").out

    assert "soldes au 25 novembre 2026" in text and "peut payer" in text
    assert "-12,50" in text and "1\u202f000,00" in text
    assert '"alice": "-12.50"' in as_json and '"at": "2026-11-25"' in as_json
