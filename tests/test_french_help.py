"""The help of every command and option in French (coopledger/cli/helptexts.py):
chosen by --lang, the locale or the cooperative's rules.yaml, as every other text;
click's own words ("Usage:", "Options", "[required]") in French too; and a test
that fails when a command or option has no French help."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from coopledger import i18n
from coopledger.cli import main
from coopledger.cli.common import app
from coopledger.cli.helptexts import (
    CLICK_ERRORS,
    CLICK_WORDS,
    HINT,
    click_message,
    command_tree,
    commands,
    early_language,
    help_cell,
    texts_of,
)
from tests.conftest import Coop, in_french

PO = Path(i18n.LOCALE_DIR) / "fr" / "LC_MESSAGES" / "coopledger.po"


def french() -> dict[str, str]:
    with PO.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if isinstance(m.id, str) and not m.fuzzy}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_every_command_and_option_has_french_help() -> None:
    catalogue = french()
    missing = [
        f"{path}: {text!r}"
        for path, command in commands(command_tree(app))
        for text in texts_of(command)
        if not catalogue.get(text) or placeholders(catalogue[text]) != placeholders(text)
    ]
    missing += [repr(word) for word in CLICK_WORDS if not catalogue.get(word)]
    assert missing == [], "help without French (run the pybabel lines of babel.cfg):\n" + (
        "\n".join(missing)
    )


def test_the_tree_walked_holds_every_command() -> None:
    paths = {path for path, _command in commands(command_tree(app))}
    assert {"coopledger trade", "coopledger member add", "coopledger rules set"} <= paths


def test_help_in_french_with_lang(coop: Coop, capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys, "--dir", str(coop.root), "--lang", "fr", "trade", "--help")

    assert text.startswith("Utilisation : coopledger trade [OPTIONS]")
    assert "Enregistrer que PAYER paie à PAYEE le montant AMOUNT" in text
    assert "Arguments :" in text and "Options :" in text
    assert "Membre qui paie.  [obligatoire]" in text
    assert "Afficher ce message et quitter." in text
    assert "Record that" not in text and "Usage" not in text and "required" not in text


def test_lang_after_the_command_name(coop: Coop, capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys, "--dir", str(coop.root), "trade", "--lang", "fr", "--help")

    assert "Enregistrer que PAYER" in text


def test_help_in_french_from_the_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # not a cooperative: no rules.yaml says otherwise
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")

    text = help_of(capsys, "--help")

    assert text.startswith("Utilisation : coopledger [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "Commandes :" in text
    assert "[variable d'environnement : COOPLEDGER_DIR]" in " ".join(text.split())
    assert "  trade " in text and "Enregistrer que PAYER paie à PAYEE" in text
    assert "Afficher la version de coopledger et quitter." in text


def test_help_in_the_language_of_the_cooperative(
    coop: Coop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    coop.append("rules.yaml", "language: fr\n")
    monkeypatch.chdir(coop.root / "journal")  # rules.yaml is found above

    text = help_of(capsys, "member", "add", "--help")
    from_elsewhere = help_of(capsys, "-C", str(coop.root), "member", "--help")

    assert "Ajouter un membre et faire un commit de members.yaml." in text
    assert "[par défaut : person]" in " ".join(text.split())
    assert "Commandes :" in from_elsewhere and "Suspendre un membre" in from_elsewhere
    assert "Usage:" in help_of(capsys, "--lang", "en", "member", "add", "--help")


def test_english_help_is_unchanged(coop: Coop, capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys, "--dir", str(coop.root), "trade", "--help")

    assert text.startswith("Usage: coopledger trade [OPTIONS]")
    assert "Member who pays.  [required]" in text
    assert "Show this message and exit." in text


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("[required]", "[obligatoire]"),
        ("Member who pays.  [required]", "Membre qui paie.  [obligatoire]"),
        (
            "A kind from rules.yaml (person, business).  [default: person]",
            "Une catégorie de rules.yaml (person, business).  [par défaut : person]",
        ),
        ("Show this message and exit.", "Afficher ce message et quitter."),
        ("no such help [x]", "no such help [x]"),  # not ours: left as it is
    ],
)
def test_a_help_cell_in_french(cell: str, expected: str) -> None:
    with in_french():
        assert help_cell(cell) == expected


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--lang", "fr", "trade"], "fr"),
        (["--lang=fr", "--help"], "fr"),
        (["--traceback", "--today", "2026-11-25", "--lang", "fr"], "fr"),
        (["trade", "--lang", "fr"], "en"),  # a command's own words are not read
        (["--lang", "de", "trade"], "en"),  # refused later by the options' callback
        (["--lang"], "en"),
    ],
)
def test_early_language(tmp_path: Path, argv: list[str], expected: str) -> None:
    assert early_language(["-C", str(tmp_path), *argv], {"LANG": "C.UTF-8"}) == expected


def test_early_language_reads_the_rules_of_dir(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("language: fr\n", encoding="utf-8")

    assert early_language(["--dir", str(tmp_path), "trade"], {}) == "fr"
    assert early_language([f"--dir={tmp_path}"], {}) == "fr"
    assert early_language([], {"COOPLEDGER_DIR": str(tmp_path)}) == "fr"
    assert early_language(["--lang", "en", "-C", str(tmp_path)], {}) == "en"


def test_a_usage_error_in_french(coop: Coop, capsys: pytest.CaptureFixture[str]) -> None:
    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()  # not coop.run: the usage's {payer} is not an unfilled placeholder
        code = main(["--dir", str(coop.root), *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    code, out, err = run("--lang", "fr", "trade", "alice")

    assert code == 2 and out == ""
    assert err == (
        "Utilisation : coopledger trade [OPTIONS] {payer} {payee} {amount}\n"
        "Essayez 'coopledger trade -h' pour l'aide.\n"
        "\n"
        "erreur : argument manquant : 'payee'.\n"
    )
    code, _out, english = run("trade", "alice")
    assert code == 2
    assert english.startswith("Usage: coopledger trade [OPTIONS]")
    assert english.endswith("Error: Missing argument 'payee'.\n")


@pytest.mark.parametrize(
    ("message", "french"),
    [
        ("Missing option '--name'.", "option manquante : '--name'."),
        ("No such option: --bogus", "option inconnue : --bogus"),
        (
            "No such option: --memo (Possible options: --member, --month)",
            "option inconnue : --memo (options possibles : --member, --month)",
        ),
        (
            "No such command 'trad'. Did you mean 'trade', 'trades'?",
            "commande inconnue : 'trad'. Vouliez-vous dire 'trade', 'trades' ?",
        ),
        ("Got unexpected extra argument(s) (d e)", "argument(s) en trop : (d e)"),
        ("Option '--memo' requires an argument.", "l'option '--memo' demande une valeur."),
        ("Option '--json' does not take a value.", "l'option '--json' ne prend pas de valeur."),
        (
            "Invalid value for '--members': 'abc' is not a valid int range.",
            "valeur invalide pour '--members' : 'abc' n'est pas un nombre entier.",
        ),
        ("Something click says that we never saw", "Something click says that we never saw"),
    ],
)
def test_click_messages_in_french(message: str, french: str) -> None:
    with in_french():
        assert click_message(message) == french


def test_every_click_message_has_french() -> None:
    catalogue = french()
    for _pattern, text in CLICK_ERRORS:
        assert catalogue.get(text) and placeholders(catalogue[text]) == placeholders(text), text
    assert catalogue.get(HINT)
