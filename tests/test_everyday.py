"""A treasurer's and a volunteer's everyday: `trades`, ids by their start,
`member edit`, `rules set`, `commit`, `help`, completion, options anywhere."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Builds, Coop


def ids_of(coop: Coop, *args: str) -> list[str]:
    result = coop.run("trades", "--json", *args)
    assert result.code == 0, result.text
    return [row["id"] for row in json.loads(result.out)]


@pytest.fixture
def traded(builds: Builds, coop: Coop) -> Coop:
    """`coop` after `some_trades` (`Builds.after`)."""
    return builds.after("some-trades", coop, some_trades)


def some_trades(coop: Coop) -> None:
    for args in (
        ("alice", "bob", "10", "--date", "2026-10-05", "-m", "Jam jars"),
        ("bob", "fournil", "20", "--date", "2026-11-02", "-m", "bread"),
        ("alice", "fournil", "5", "--date", "2026-11-03", "-m", "more bread"),
    ):
        result = coop.run("trade", *args)
        assert result.code == 0, result.text


# ---------------------------------------------------------------- trades


def test_trades_lists_every_trade_with_its_id(coop: Coop) -> None:
    some_trades(coop)
    before = coop.log()

    result = coop.run("trades")

    assert result.code == 0, result.text
    assert "SEL du Canal: 3 trades" in result.out
    ids = re.findall(r"2026-1[01]-0[0-9]-[0-9a-f]{8}", result.out)
    assert len(ids) == 3
    assert "Jam jars" in result.out and "more bread" in result.out
    assert coop.log() == before and coop.status() == ""


def test_trades_filters_by_member_month_and_words(traded: Coop) -> None:
    coop = traded
    rows = json.loads(coop.run("trades", "--json").out)
    assert [r["memo"] for r in rows] == ["Jam jars", "bread", "more bread"]
    assert rows[0]["payer"] == "alice" and rows[0]["amount"] == "10.00"
    assert rows[0]["currency"] == "SEL" and rows[0]["date"] == "2026-10-05"

    assert len(ids_of(coop, "--member", "fournil")) == 2
    assert len(ids_of(coop, "--month", "2026-10")) == 1
    assert len(ids_of(coop, "--text", "BREAD")) == 2
    assert len(ids_of(coop, "--text", "more bread", "--member", "alice")) == 1
    assert ids_of(coop, "--month", "2026-12") == []
    one = coop.run("trades", "--month", "2026-10")
    assert "SEL du Canal: 1 trade\n" in one.out


def test_trades_refuses_an_unknown_member_or_a_bad_month(coop: Coop) -> None:
    unknown = coop.run("trades", "--member", "alicee")
    assert unknown.code == 1
    assert unknown.err.startswith("error: 'alicee' is not a member (did you mean 'alice'?)")
    month = coop.run("trades", "--month", "2026-13")
    assert month.code == 1 and "2026-13" in month.err


def test_reverse_takes_the_start_of_an_id(traded: Coop) -> None:
    coop = traded
    first = ids_of(coop, "--month", "2026-10")[0]
    hex_part = first[11:]

    result = coop.run("reverse", hex_part[:5], "--date", "2026-11-10")

    assert result.code == 0, result.text
    assert f"Reversed {first} with 2026-11-10-" in result.out
    assert coop.log()[0].startswith(f"reverse: {first} ")
    assert f'reverses: "{first}"' in coop.read(coop.last_written())


def test_an_ambiguous_start_of_an_id_is_refused_with_the_candidates(traded: Coop) -> None:
    coop = traded
    november = ids_of(coop, "--month", "2026-11")
    before = coop.log()

    result = coop.run("reverse", "2026-11-0")

    assert result.code == 1
    assert result.err.startswith("error: '2026-11-0' is the start of several trades' ids: ")
    for trade_id in november:
        assert trade_id in result.err
    assert "give more of the id (see 'coopledger trades')" in result.err
    assert coop.log() == before and coop.status() == ""


# ---------------------------------------------------------------- member edit, rules set


def test_member_edit_changes_name_emails_and_kind_and_commits(coop: Coop) -> None:
    result = coop.run(
        "member", "edit", "alice", "--name", "Alice Martin-Roy", "--kind", "business",
        "--add-email", "12345+alice@users.noreply.github.com",
    )  # fmt: skip

    assert result.code == 0, result.text
    assert result.out.startswith("edit alice (name, e-mails, kind) (commit ")
    assert coop.log()[0] == "member: edit alice (name, e-mails, kind)"
    assert coop.git("log", "-1", "--format=%ae").strip() == "tresa@example.org"
    text = coop.read("members.yaml")
    assert "name: Alice Martin-Roy\n    kind: business" in text
    assert "emails: [alice@example.org, 12345+alice@users.noreply.github.com]" in text
    assert coop.status() == "" and coop.run("check").code == 0
    shown = coop.run("member", "show", "alice")
    assert "Alice Martin-Roy" in shown.out


def test_member_edit_refusals_write_nothing(coop: Coop) -> None:
    before, text = coop.log(), coop.read("members.yaml")
    cases = [
        (("alice", "--name", "Alice Martin"), "nothing to change for 'alice'"),
        (("alicee", "--name", "A"), "'alicee' is not a member (did you mean 'alice'?)"),
        (("alice", "--kind", "robot"), "'robot' is not a member kind"),
        (("alice", "--email", "not-an-address"), "not-an-address"),
        (("alice", "--add-email", "bob@example.org"), "already bob's"),
    ]
    for args, words in cases:
        result = coop.run("member", "edit", *args)
        assert result.code == 1, (args, result.text)
        assert words in result.err, (args, result.err)
        assert coop.log() == before and coop.read("members.yaml") == text


def test_member_edit_to_a_kind_whose_limits_the_balance_breaks_is_refused(coop: Coop) -> None:
    assert coop.run("member", "edit", "alice", "--kind", "business").code == 0
    assert coop.run("trade", "fournil", "alice", "1500", "--date", "2026-11-02").code == 0
    before = coop.log()

    result = coop.run("member", "edit", "alice", "--kind", "person")

    assert result.code == 1
    assert "alice" in result.err and "1000.00 SEL" in result.err
    assert coop.log() == before and coop.status() == ""


def test_rules_set_writes_one_value_in_place_and_commits(coop: Coop) -> None:
    text = coop.read("rules.yaml")

    result = coop.run("rules", "set", "limits.person.floor", "-600")

    assert result.code == 0, result.text
    assert result.out.startswith("set limits.person.floor to -600 (commit ")
    assert coop.log()[0] == "rules: set limits.person.floor to -600"
    new = coop.read("rules.yaml")
    assert len(text.splitlines()) == len(new.splitlines())
    pairs = zip(text.splitlines(), new.splitlines(), strict=True)
    changed = [(a, b) for a, b in pairs if a != b]
    assert len(changed) == 1 and changed[0][1].strip().startswith("floor: -600")
    assert coop.status() == "" and coop.run("check").code == 0
    name = coop.run("rules", "set", "name", "SEL du Canal: Est")
    assert name.code == 0, name.text
    assert "name: 'SEL du Canal: Est'" in coop.read("rules.yaml")


def test_rules_set_refusals_write_nothing(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "450", "--date", "2026-11-02").code == 0
    before, text = coop.log(), coop.read("rules.yaml")
    cases = [
        (("limits.person.floor", "-400"), "alice"),  # alice is at -450
        (("limitz", "3"), "limitz"),
        (("limits.person", "3"), "holds a list or a mapping"),
        (("limits.person.floor", "-500"), "nothing to change"),
        (("decimals", "two"), "decimals"),
        (("a b", "1"), "'a b' is not a key of rules.yaml"),
    ]
    for args, words in cases:
        result = coop.run("rules", "set", *args)
        assert result.code == 1, (args, result.text)
        assert words in result.err, (args, result.err)
        assert coop.log() == before and coop.read("rules.yaml") == text


def test_member_limit_unchanged_is_refused(coop: Coop) -> None:
    before, text = coop.log(), coop.read("members.yaml")

    result = coop.run("member", "limit", "alice", "--floor", "-500", "--from", "2026-12-01")

    assert result.code == 1
    assert result.err.startswith(
        "error: nothing to change: the floor of 'alice' on 2026-12-01 is already -500.00 SEL"
    )
    assert coop.log() == before and coop.read("members.yaml") == text
    assert coop.run("member", "limit", "alice", "--floor", "-600", "--from", "2026-12-01").code == 0
    again = coop.run("member", "limit", "alice", "--floor", "-600", "--from", "2026-12-15")
    assert again.code == 1 and "already -600.00 SEL" in again.err


# ---------------------------------------------------------------- commit


def test_commit_checks_and_commits_a_hand_edit(coop: Coop) -> None:
    coop.append(
        "journal/2026/11/alice.beancount",
        '2026-11-03 * "jam"\n'
        "  Assets:Members:Alice   -4.00 SEL\n"
        "  Assets:Members:Bob      4.00 SEL\n",
    )

    result = coop.run("commit", "-m", "the jam of 3 November")

    assert result.code == 0, result.text
    assert "Committed 1 file (commit " in result.out
    assert "journal/2026/11/alice.beancount" in result.out
    assert coop.log()[0] == "the jam of 3 November"
    assert coop.git("log", "-1", "--format=%ae").strip() == "tresa@example.org"
    assert coop.status() == ""


def test_commit_refuses_a_broken_hand_edit_and_commits_nothing(coop: Coop) -> None:
    before = coop.log()
    coop.append(
        "journal/2026/11/alice.beancount",
        '2026-11-03 * "jam"\n'
        "  Assets:Members:Alice   -4.00 SEL\n"
        "  Assets:Members:Zed      4.00 SEL\n",
    )

    result = coop.run("commit", "-m", "jam")

    assert result.code == 1
    assert result.err.startswith("error: your changes are not committed")
    assert "journal/2026/11/alice.beancount" in result.err
    assert coop.log() == before
    assert "journal/2026/" in coop.status()  # the edit is left for you to fix


def test_commit_refusals(coop: Coop) -> None:
    before = coop.log()
    nothing = coop.run("commit", "-m", "nothing")
    assert nothing.code == 1 and "nothing to commit" in nothing.err
    coop.append("rules.yaml", "decimals_typo: 3\n")
    empty = coop.run("commit", "-m", "  ")
    assert empty.code == 1 and "a commit needs a message" in empty.err
    assert coop.log() == before


def test_commit_judges_as_the_git_identity_like_the_gate(coop: Coop) -> None:
    coop.git("config", "user.email", "alice@example.org")
    coop.git("config", "user.name", "Alice")
    before = coop.log()
    text = coop.read("members.yaml").replace("floor: -2000", "floor: -9000")
    coop.write("members.yaml", text)

    result = coop.run("commit", "-m", "more credit for fournil")

    assert result.code == 1, result.text
    assert "members.yaml" in result.err
    assert coop.log() == before


# ---------------------------------------------------------------- member leave


def test_leave_on_the_day_the_balance_reaches_zero(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "10", "--date", "2026-11-02").code == 0
    assert coop.run("trade", "bob", "alice", "10", "--date", "2026-11-10").code == 0

    result = coop.run("member", "leave", "bob", "--date", "2026-11-10")

    assert result.code == 0, result.text
    assert "status: {2026-11-10: left}" in coop.read("members.yaml")
    assert coop.run("check").code == 0
    after = coop.run("trade", "alice", "bob", "1", "--date", "2026-11-11")
    assert after.code == 1 and "'bob' is no longer a member on 2026-11-11" in after.err


def test_leave_before_the_last_trade_names_the_day_that_works(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "10", "--date", "2026-11-02").code == 0
    assert coop.run("trade", "bob", "alice", "10", "--date", "2026-11-10").code == 0
    before, text = coop.log(), coop.read("members.yaml")

    result = coop.run("member", "leave", "bob", "--date", "2026-11-05")

    assert result.code == 1
    assert result.err.startswith(
        "error: 'bob' cannot leave on 2026-11-05: their balance moves until 2026-11-10"
    )
    assert "leave on 2026-11-10 or later (coopledger member leave bob --date 2026-11-10)" in (
        result.err
    )
    assert coop.log() == before and coop.read("members.yaml") == text


# ---------------------------------------------------------------- help, closed months


def test_help_lists_the_guides_and_prints_one(coop: Coop) -> None:
    listed = coop.run("help")
    assert listed.code == 0
    assert "Guides (coopledger help TOPIC):" in listed.out
    assert "  rules " in listed.out and "journal-format" in listed.out
    page = coop.run("help", "rules")
    assert page.code == 0 and page.out.startswith("# rules.yaml and members.yaml: every key")
    assert coop.run("help", "journal").out.startswith("# The journal format")
    unknown = coop.run("help", "rulez")
    assert unknown.code == 1
    assert unknown.err.startswith("error: there is no guide 'rulez' (did you mean 'rules'?)")


def test_no_message_sends_a_member_to_a_docs_folder() -> None:
    from coopledger.language.messages import MESSAGES
    from coopledger.model.rules import render_rules

    for code, (what, fix) in MESSAGES.items():
        assert ".md" not in what + fix, code
    assert "docs/" not in render_rules("SEL du Canal", "SEL", "grain", 2)


@pytest.mark.slow
def test_a_wheel_holds_the_guides(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(root)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("coopledger-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for page in (root / "docs").glob("*.md"):
        assert f"coopledger/docs/{page.name}" in names
    guides = list((root / "docs").glob("[a-z][a-z]/*.md"))  # docs/fr/benevoles.md...
    assert guides
    for page in guides:
        assert f"coopledger/docs/{page.parent.name}/{page.name}" in names


def test_an_import_into_a_closed_month_is_not_told_to_remove_a_line(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "10", "--date", "2026-10-02").code == 0
    assert coop.run("close", "2026-10").code == 0
    csv = coop.root.parent / "rows.csv"
    csv.write_text("date,payer,payee,amount,memo\n2026-10-05,alice,bob,1,jam\n", encoding="utf-8")
    before = coop.log()

    result = coop.run("import", str(csv))

    assert result.code == 1
    assert "an entry of 2026-10-05 cannot be added to it" in result.err
    assert "date it after the closed months (from 2026-11-01)" in result.err
    assert "remove it or restore it" not in result.err
    assert coop.log() == before and coop.status() == ""


# ---------------------------------------------------------------- errors in order of cause


def test_one_wrong_key_in_rules_yaml_is_the_only_error(traded: Coop) -> None:
    coop = traded
    coop.write("rules.yaml", coop.read("rules.yaml").replace("decimals: 2", "decimal: 2"))

    result = coop.run("check")

    assert result.code == 1
    lines = [line for line in result.out.splitlines() if ": error: " in line]
    assert len(lines) == 1, result.out
    assert lines[0].startswith("rules.yaml:")
    assert "unknown key 'decimal'" in lines[0] and "did you mean 'decimals'?" in lines[0]
    assert "unknown account" not in result.out


def test_members_yaml_problems_come_before_the_journal_s(traded: Coop) -> None:
    coop = traded
    coop.append("journal/2026/11/bob.beancount", '2026-11-20 * "x"\n  Assets:Members:Bob 1 SEL\n')
    coop.write("members.yaml", coop.read("members.yaml").replace("kind: business", "kind: shop"))

    result = coop.run("check")

    assert result.code == 1
    errors = [line for line in result.out.splitlines() if ": error: " in line]
    assert errors[0].startswith("members.yaml:"), result.out


HAND_MISTAKES = [
    (
        "  Assets:Members:alice  -2.00 SEL\n  Assets:Members:Bob  2.00 SEL\n",
        "'Assets:Members:alice' is not an account: every part of an account's name starts "
        "with a capital letter; write Assets:Members:Alice",
    ),
    (
        "  Assets:Members:Alice  -2,00 SEL\n  Assets:Members:Bob  2.00 SEL\n",
        "'2,00' is written with a decimal comma; write 2.00",
    ),
    (
        "Assets:Members:Alice  -2.00 SEL\n  Assets:Members:Bob  2.00 SEL\n",
        "the posting 'Assets:Members:Alice  -2.00 SEL' starts at the beginning of its line",
    ),
]


def test_hand_written_mistakes_are_told_in_the_writer_s_terms(traded: Coop) -> None:
    coop = traded
    path = "journal/2026/11/alice.jam.beancount"  # a file of one's own, as docs tell
    original = ""
    for postings, words in HAND_MISTAKES:
        coop.write(path, original + '2026-11-12 * "jam"\n' + postings)
        result = coop.run("check")
        assert result.code == 1
        errors = [line for line in result.out.splitlines() if ": error: " in line]
        assert len(errors) == 1, result.out
        assert errors[0].startswith(f"{path}:"), errors
        assert words in errors[0], errors
        assert "syntax error" not in result.out and "ValueError" not in result.out
    coop.write(path, original + '01/12/2026 * "jam"\n  Assets:Members:Alice  -2.00 SEL\n')
    dated = coop.run("check")
    assert "'01/12/2026' is not a date the journal reads" in dated.out
    assert "write dates as YYYY-MM-DD: 2026-12-01" in dated.out


# ---------------------------------------------------------------- conventions


def test_global_options_are_read_after_the_command_name_too(coop: Coop) -> None:
    from coopledger.cli import main
    from coopledger.cli.common import global_options_first

    assert global_options_first(["check", "--dir", "sel", "--traceback"]) == [
        "--dir", "sel", "--traceback", "check",
    ]  # fmt: skip
    assert global_options_first(["--today", "2026-01-01", "trades", "--today=2026-02-01"]) == [
        "--today", "2026-01-01", "--today=2026-02-01", "trades",
    ]  # fmt: skip
    assert global_options_first(["trade", "a", "b", "1", "--", "--dir"]) == [
        "trade", "a", "b", "1", "--", "--dir",
    ]  # fmt: skip
    some_trades(coop)
    coop.capsys.readouterr()
    code = main(["balances", "--json", "--dir", str(coop.root), "--today", "2026-10-31"])
    printed = coop.capsys.readouterr()
    assert code == 0, printed.err
    assert json.loads(printed.out)["balances"]["alice"] == "-10.00"


def test_completion_scripts_and_answers(coop: Coop) -> None:
    for shell, words in (("bash", "complete -o default"), ("zsh", "#compdef coopledger"),
                         ("fish", "complete --command coopledger")):  # fmt: skip
        result = coop.run("completion", shell)
        assert result.code == 0 and words in result.out, (shell, result.out)
    refused = coop.run("completion", "tcsh")
    assert refused.code == 1 and "tcsh" in refused.err
    env = {**os.environ, "COMP_WORDS": "coopledger tra", "COMP_CWORD": "1"}
    env["_COOPLEDGER_COMPLETE"] = "complete_bash"
    answered = subprocess.run(
        [sys.executable, "-m", "coopledger"], env=env, capture_output=True, text=True, check=False
    )
    assert answered.stdout.split() == ["trade", "trades"], answered.stderr


def test_json_on_every_command_that_prints_a_result(coop: Coop) -> None:
    traded = coop.run("trade", "alice", "bob", "10", "--date", "2026-10-02", "--json")
    assert traded.code == 0, traded.text
    values = json.loads(traded.out)
    assert values["trade"]["payer"] == "alice" and values["trade"]["amount"] == "10.00"
    assert values["balances"] == {"alice": "-10.00", "bob": "10.00"}
    assert values["commit"] == coop.git("rev-parse", "HEAD").strip()
    trade_id = values["trade"]["id"]

    reversed_ = json.loads(coop.run("reverse", trade_id[:15], "--json").out)
    assert reversed_["reversed"] == trade_id and reversed_["reversal"]["payer"] == "bob"

    shown = json.loads(coop.run("member", "show", "alice", "--json").out)
    assert shown["id"] == "alice" and shown["balance"] == "0.00" and shown["floor"] == "-500.00"

    csv = coop.root.parent / "rows.csv"
    csv.write_text("date,payer,payee,amount,memo\n2026-11-05,alice,bob,1,jam\n", encoding="utf-8")
    imported = json.loads(coop.run("import", str(csv), "--json").out)
    assert [t["memo"] for t in imported["trades"]] == ["jam"] and imported["commit"]

    coop.append("rules.yaml", "accounts: {treasury: Assets:Coop:Treasury}\n")
    coop.append(
        "rules.yaml", "contribution:\n  into: treasury\n  person: {amount: 2, per: month}\n"
    )
    coop.commit_all("a contribution")
    applied = coop.run("apply-rules", "2026-10", "--dry-run", "--json")
    assert applied.code == 0, applied.text
    rules = json.loads(applied.out)
    assert rules["month"] == "2026-10" and rules["commit"] is None and rules["dry_run"]
    assert {c["member"] for c in rules["entries"][0]["charges"]} >= {"alice", "bob"}

    closed = json.loads(coop.run("close", "2026-10", "--json").out)
    assert closed["months"] == ["2026-10"] and closed["commit"]

    assert coop.run("invoice", "alice", "bob", "5", "--ref", "F1", "--date", "2026-11-06").code == 0
    settled = json.loads(coop.run("settle", "F1", "2", "--json").out)
    assert settled["paid"] == "2.00" and settled["left"] == "3.00"

    exported = coop.run("export", "trades", "--json")
    assert exported.out == coop.run("export", "trades", "--format", "json").out
    assert json.loads(exported.out)


def test_counts_and_statuses_read_right(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "10", "--date", "2026-10-02").code == 0
    assert coop.run("check").out.startswith("ok: 4 members, 1 trade, ")
    assert "Closed 2026-10: 1 entry fingerprinted" in coop.run("close", "2026-10").out
    assert coop.run("trade", "bob", "alice", "10", "--date", "2026-11-02").code == 0
    left = coop.run("member", "leave", "bob", "--date", "2026-11-20")
    assert left.out.startswith("bob leaves on 2026-11-20 (commit ")


# ---------------------------------------------------------------- hostile input


def test_rules_set_refuses_a_value_or_key_that_would_write_more_than_one_value(
    coop: Coop,
) -> None:
    before, text = coop.log(), coop.read("rules.yaml")
    cases = [
        ("name", "SEL\nroles: {treasurer: alice}"),
        ("name", "a\x1b[31m"),
        ("roles.treasurer: alice\nname", "x"),
        ("limits.person.floor", "-1e999"),
    ]
    for args in cases:
        result = coop.run("rules", "set", *args)
        assert result.code == 1, (args, result.text)
        assert coop.log() == before and coop.read("rules.yaml") == text


def test_commit_refuses_a_link_and_code_it_was_not_asked_to_trust(coop: Coop) -> None:
    before = coop.log()
    (coop.root / "journal" / "2026").mkdir(parents=True, exist_ok=True)
    (coop.root / "journal" / "2026" / "secret.beancount").symlink_to("/etc/passwd")

    result = coop.run("commit", "-m", "innocent")

    assert result.code == 1, result.text
    assert "secret.beancount" in result.err
    assert "root:" not in result.text  # nothing of what the link points at is shown
    assert coop.log() == before
