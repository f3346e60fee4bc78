"""The last English words of a French run: clear's report, click's own usage
errors, `--verbose`'s lines, and the commit subjects a command shows. Each in
English (unchanged) and in French, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coopledger.cli import main
from coopledger.language.commits import subject_text
from coopledger.language.routes import REASONS, route_line
from tests.conftest import Coop, assert_golden, in_french

GOLDEN = Path(__file__).parent / "golden" / "french"
NNBSP = "\u202f"  # how French groups thousands (Babel, CLDR)

INVOICES = (
    "debtor,creditor,amount,ref\n"
    "alice,bob,1234.50,F-1\n"
    "bob,carol,1000,F-2\n"
    "carol,alice,800.25,F-3\n"
    "alice,dave,12,F-4\n"
)


def said(*argv: str, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    """Run the command line (not coop.run: a usage line's {payer} is no unfilled placeholder)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- clear's report


def clear_report(coop: Coop, tmp_path: Path, *lang: str) -> str:
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(INVOICES, encoding="utf-8")
    result = coop.run(*lang, "clear", "--invoices", str(invoices))
    assert result.code == 0, result.text
    solver = result.out.splitlines()[0].rsplit(" ", 2)  # its version varies
    return result.out.replace(" ".join(solver[-2:]), "<solver>", 1)


def test_clear_report_in_french_writes_amounts_as_every_table(coop: Coop, tmp_path: Path) -> None:
    text = clear_report(coop, tmp_path, "--lang", "fr")

    assert f"  ouvert avant          3{NNBSP}046,75\n" in text
    assert f"  compensé              2{NNBSP}400,75  (78,8 %)\n" in text
    assert f"  F-1                  alice            bob                  1{NNBSP}234,50" in text
    bob = f"  bob                        1{NNBSP}000,00       1{NNBSP}234,50         234,50"
    assert bob in text
    assert "1234.50" not in text and "800.25" not in text
    assert_golden(GOLDEN / "clear.fr.txt", text)


def test_clear_report_in_english_is_unchanged(coop: Coop, tmp_path: Path) -> None:
    text = clear_report(coop, tmp_path)

    assert "  open before            3046.75\n" in text
    assert "  set off                2400.75  (78.8 %)\n" in text
    assert "  F-1                  alice            bob                   1234.50" in text
    assert_golden(GOLDEN / "clear.en.txt", text)


def test_clear_report_json_stays_plain_in_french(coop: Coop, tmp_path: Path) -> None:
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(INVOICES, encoding="utf-8")

    result = coop.run("--lang", "fr", "clear", "--invoices", str(invoices), "--json")

    assert '"total_before": "3046.75"' in result.out and '"amount": "1234.50"' in result.out


def test_a_clearing_of_the_books_in_french(coop: Coop) -> None:
    for debtor, creditor, ref in (("alice", "fournil", "F-1"), ("fournil", "alice", "F-2")):
        assert coop.run("invoice", debtor, creditor, "1500", "--ref", ref).code == 0

    text = coop.run("--lang", "fr", "clear").out

    assert f"ouvert avant          3{NNBSP}000,00\n" in text
    assert f"compensé              3{NNBSP}000,00  (100,0 %)\n" in text


# ---------------------------------------------------------------- click's words


@pytest.mark.parametrize(
    ("argv", "french"),
    [
        (["trade", "alice"], "erreur : argument manquant : 'payee'."),
        (["trade", "alice", "bob", "1", "--bogus"], "erreur : option inconnue : --bogus"),
        (["clear", "--decimals", "x"], "'x' n'est pas un nombre entier."),
        (["trade", "a", "b", "1", "extra"], "erreur : argument(s) en trop : (extra)"),
        (["trad"], "Vouliez-vous dire 'trade', 'trades' ?"),
        (["check", "--since"], "erreur : l'option '--since' demande une valeur."),
    ],
)
def test_usage_errors_in_french(
    coop: Coop, monkeypatch: pytest.MonkeyPatch, argv: list[str], french: str
) -> None:
    code, out, err = said("--dir", str(coop.root), "--lang", "fr", *argv)

    assert code == 2 and out == ""
    assert french in err
    assert "Error" not in err and "Usage" not in err and "Try " not in err
    if argv != ["check", "--since"]:
        assert "Essayez 'coopledger" in err and "pour l'aide." in err

    monkeypatch.setenv("LANG", "fr_FR.UTF-8")  # the locale says it too
    assert french in said("--dir", str(coop.root), *argv)[2]
    monkeypatch.setenv("LANG", "C.UTF-8")
    english = said("--dir", str(coop.root), *argv)[2]
    assert "Error: " in english and "erreur" not in english


def test_an_aborted_command_says_so_in_french(coop: Coop, monkeypatch: pytest.MonkeyPatch) -> None:
    import coopledger.cli.ledger_commands as commands

    def interrupted(cache: bool = True) -> None:
        raise EOFError  # the input ended at a question: click makes it an Abort

    monkeypatch.setattr(commands, "open_ledger", interrupted)

    assert said("--dir", str(coop.root), "--lang", "fr", "balances")[0::2] == (1, "\ninterrompu\n")
    assert said("--dir", str(coop.root), "balances")[0::2] == (1, "\naborted\n")


@pytest.mark.parametrize(
    ("message", "french"),
    [
        ("'x' is not a valid int.", "'x' n'est pas un nombre entier."),
        ("'x' is not a valid float.", "'x' n'est pas un nombre."),
        ("12 is not in the range 0<=x<=8.", "12 n'est pas dans l'intervalle 0<=x<=8."),
        ("'csvv' is not one of 'csv', 'xlsx'.", "'csvv' n'est pas l'un des choix 'csv', 'xlsx'."),
        ("File 'a.csv' does not exist.", "'a.csv' n'existe pas."),
        ("Missing command.", "commande manquante."),
        (
            "Invalid value for '--n': 'x' is not a valid int.",
            "valeur invalide pour '--n' : 'x' n'est pas un nombre entier.",
        ),
    ],
)
def test_more_click_messages_in_french(message: str, french: str) -> None:
    from coopledger.cli.helptexts import click_message

    with in_french():
        assert click_message(message) == french


def test_an_unreadable_invoice_file_is_named(coop: Coop, tmp_path: Path) -> None:
    english = coop.run("clear", "--invoices", str(tmp_path))
    french = coop.run("--lang", "fr", "clear", "--invoices", str(tmp_path))

    assert english.code == french.code == 3
    assert english.err.startswith(f"error: cannot read {tmp_path}: ")
    assert french.err.startswith(f"erreur : impossible de lire {tmp_path} : ")
    assert coop.status() == ""


# ---------------------------------------------------------------- --verbose


def test_verbose_lines_in_english_and_french(coop: Coop) -> None:
    english = coop.run("--verbose", "balances", "--no-cache")
    french = coop.run("--lang", "fr", "--verbose", "balances", "--no-cache")

    assert english.err.splitlines()[0] == "read: full (no cache asked)"
    assert french.err.splitlines()[0] == "lu depuis : tout le journal (sans cache, comme demandé)"
    assert "loaded: full" in english.err and "chargé : tout le journal" in french.err
    assert "read" not in french.err and "loaded" not in french.err


def test_each_reason_has_words_and_the_ledger_names_only_those() -> None:
    from coopledger import ledger

    codes = {
        value
        for name, value in vars(ledger).items()
        if name.isupper() and isinstance(value, str) and value in REASONS
    }
    assert codes == set(REASONS)
    with in_french():
        line = route_line(
            "full",
            [
                ("snapshot-lacks-month", (("month", "2026-10"),)),
                ("closed-month-not-alone", (("detail", "no id hashes"),)),
            ],
        )
    assert line == (
        "lu depuis : tout le journal (l'instantané ne garde pas les chiffres de 2026-10; "
        "un mois clos ne peut pas être lu seul : pas d'empreintes d'identifiants)"
    )


# ---------------------------------------------------------------- commit subjects


def test_the_commit_a_command_names_is_said_in_french(coop: Coop) -> None:
    edited = coop.run("--lang", "fr", "member", "edit", "alice", "--name", "Alice M.")
    limited = coop.run(
        "--lang", "fr", "member", "limit", "alice", "--floor", "-1200", "--from", "2026-12-01"
    )
    renamed = coop.run("--lang", "fr", "rules", "set", "name", "SEL des Quais")

    assert edited.out.startswith("alice modifié (nom) (commit ")
    assert limited.out.startswith(
        f"limites de alice : plancher -1{NNBSP}200,00 à partir du 1 décembre 2026 (commit "
    )
    assert renamed.out.startswith("name vaut désormais SEL des Quais (commit ")
    # stored as the plan writes it, whatever the reader's language (docs/rules.md)
    assert coop.log()[:3] == [
        "rules: set name to SEL des Quais",
        "member: limit alice floor -1200.00 from 2026-12-01",
        "member: edit alice (name)",
    ]


def test_an_unknown_subject_is_shown_as_it_is() -> None:
    with in_french():
        assert subject_text("hand edit\n\nbody") == "hand edit"
        assert subject_text("member: edit bob (name, e-mails)") == (
            "bob modifié (nom, adresses e-mail)"
        )


def test_every_subject_a_command_writes_is_known_and_said_in_french(
    coop: Coop, tmp_path: Path
) -> None:
    """Each writing command once; each subject it commits is read back in French
    (a plan writing a new kind of subject makes this test fail until
    language/commits.py knows it)."""
    from coopledger.language.commits import known

    before = len(coop.log())
    coop.append(
        "rules.yaml",
        "accounts:\n  treasury: Assets:Coop:Treasury\n"
        "levy: {percent: 2, paid_by: payer}\ndemurrage: {percent: 1, above: 100}\n",
    )
    coop.commit_all("rules: a levy and demurrage")  # a hand-made commit: not a plan's
    slips = tmp_path / "slips.csv"
    slips.write_text("date,payer,payee,amount,memo\n2026-11-03,bob,alice,30,jardinage\n")
    steps = [
        ("trade", "alice", "fournil", "40", "--memo", "pain", "--date", "2026-10-02"),
        ("trade", "fournil", "bob", "140", "--date", "2026-10-03"),
        ("apply-rules", "2026-10"),
        ("close", "2026-10"),
        ("invoice", "alice", "fournil", "1200", "--ref", "F-1", "--memo", "four"),
        ("invoice", "fournil", "alice", "1000", "--ref", "F-2"),
        ("settle", "F-1", "100"),
        ("clear", "--apply"),
        ("import", str(slips)),
        ("member", "add", "zoe", "--name", "Zoé Z"),
        ("member", "suspend", "zoe"),
        ("member", "reactivate", "zoe"),
        ("member", "edit", "zoe", "--name", "Zoé Y"),
        ("member", "limit", "zoe", "--floor", "-100", "--from", "2026-12-01"),
        ("member", "leave", "zoe"),
        ("rules", "set", "name", "SEL des Quais"),
    ]
    for step in steps:
        assert coop.run(*step).code == 0, (step, coop.run(*step).text)
    imported = coop.git("log", "--format=%H", "--grep=^import: ", "-1").strip()
    assert coop.run("import", "--undo", imported).code == 0
    traded = coop.run("trade", "bob", "alice", "5", "--json")
    assert coop.run("reverse", json.loads(traded.out)["trade"]["id"]).code == 0

    subjects = coop.log()[: len(coop.log()) - before]
    subjects += [s for s in coop.log()[-2:] if s.startswith("init: ")]  # the template's
    made = [s for s in subjects if s != "rules: a levy and demurrage"]
    assert [s for s in made if known(s) is None] == []
    with in_french():
        said = {subject: subject_text(subject) for subject in made}
    for english in (" owes ", "set off", " trade(s)", "levy", " from ", "reversed", "(seed"):
        assert [s for s in said.values() if english in s] == []
    assert said["trade: alice → fournil 40.00 SEL — pain (levy 0.80 SEL)"] == (
        "échange : alice → fournil 40,00 SEL — pain (prélèvement 0,80 SEL)"
    )


def test_the_warning_about_a_killed_write_names_its_commit_in_french() -> None:
    from coopledger.language.messages import describe
    from coopledger.model.problems import Problem, Severity

    left = Problem("write-completed", None, None, {"message": "trade: alice → bob 5.00 SEL"})
    warning = Problem(left.code, None, None, left.params, Severity.WARNING)
    with in_french():
        said = describe(warning)
    assert "(échange : alice → bob 5,00 SEL)" in said
    assert "(trade: alice → bob 5.00 SEL)" in describe(warning)


# ---------------------------------------------------------------- the sweep


def test_partner_list_writes_its_amounts_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_federation import link, make_group

    a, b = make_group(tmp_path, capsys, "sel-a"), make_group(tmp_path, capsys, "sel-b")
    link(a, b, floor="-1500", ceiling="1500", rate="2.5")
    assert a.run("trade", "alice", "sel-b/zoe", "40", "--as", "alice").code == 0

    listed = a.run("--lang", "fr", "partner", "list").out
    english = a.run("partner", "list").out

    assert f"-1{NNBSP}500,00" in listed and "-40,00" in listed and "2,5" in listed
    assert "-1500.00" in english and "-40.00" in english and "2.5" in english


def test_a_federation_demo_refused_in_french(tmp_path: Path) -> None:
    code, out, err = said("--lang", "fr", "demo", str(tmp_path / "x"), "--groups", "1")

    assert code == 2 and out == ""
    assert err.endswith(
        "erreur : valeur invalide pour '--groups' : une fédération demande au moins 2 groupes\n"
    )
