"""`coopledger check`: every problem of the cooperative at once, with file and line."""

from __future__ import annotations

import json

from tests.conftest import Coop

MANY_PROBLEMS = """\
2025-02-01 * "to a stranger"
  Assets:Members:Alice   -10.00 SEL
  Assets:Members:Zorro    10.00 SEL

2025-02-02 * "outside the cooperative"
  Assets:Members:Alice   -10.00 SEL
  Expenses:Food           10.00 SEL

2025-02-03 * "in euros"
  trade: "x1"
  Assets:Members:Alice   -10.00 EUR
  Assets:Members:Tresa    10.00 EUR

2025-02-04 * "too precise, and the same id"
  trade: "x1"
  Assets:Members:Alice   -10.001 SEL
  Assets:Members:Tresa    10.001 SEL

2025-02-05 * "bob is suspended"
  Assets:Members:Alice   -10.00 SEL
  Assets:Members:Bob      10.00 SEL

2025-02-06 * "too much"
  Assets:Members:Alice   -600.00 SEL
  Assets:Members:Tresa    600.00 SEL
"""

CONFLICTED = """\
2025-03-01 * "pain"
  Assets:Members:Alice   -4.00 SEL
  Assets:Members:Fournil  4.00 SEL
<<<<<<< HEAD

2025-03-02 * "pain"
  Assets:Members:Alice   -5.00 SEL
  Assets:Members:Fournil  5.00 SEL
=======

2025-03-02 * "brioche"
  Assets:Members:Alice   -6.00 SEL
  Assets:Members:Fournil  6.00 SEL
>>>>>>> other
"""


def with_many_problems(coop: Coop) -> Coop:
    assert coop.run("member", "suspend", "bob", "--date", "2025-01-01").code == 0
    coop.write("journal/2025/02/alice.beancount", MANY_PROBLEMS)
    coop.commit_all("by hand")
    return coop


def test_a_clean_cooperative_passes(coop: Coop) -> None:
    assert coop.run("trade", "alice", "fournil", "40", "--date", "2025-01-01").code == 0

    result = coop.run("check")

    assert result.code == 0, result.text
    assert result.out.startswith("ok: 4 members, 1 trade, balances sum to 0")


def test_check_lists_every_problem_at_once_with_file_and_line(coop: Coop) -> None:
    with_many_problems(coop)
    f = "journal/2025/02/alice.beancount"

    result = coop.run("check")

    assert result.code == 1
    lines = result.out.splitlines()
    expected = [
        f"{f}:1: error: the account Assets:Members:Zorro is for 'zorro', who is not a member",
        f"{f}:5: error: the account Expenses:Food belongs to no member",
        f"{f}:9: error: the amount is in EUR, but the cooperative's currency is SEL",
        f"{f}:14: error: the trade id 'x1' is already used at {f}:9",
        f"{f}:14: error: the amount -10.001 has more than 2 decimals",
        f"{f}:14: error: the amount 10.001 has more than 2 decimals",
        f"{f}:19: error: 'bob' is suspended on 2025-02-05 and cannot trade",
        f"{f}:23: error: alice's balance would be -650.00 SEL at the end of 2025-02-06, "
        "below its floor of -500.00 SEL",
        "journal/main.beancount: error: the members' balances sum to -10.00 SEL instead of zero",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, result.out)
    assert len(lines) == len(expected) + 1, result.out  # each problem once, and the count
    assert lines[-1] == f"{len(expected)} errors, 0 warnings"


def test_every_problem_line_says_how_to_fix_it(coop: Coop) -> None:
    with_many_problems(coop)

    result = coop.run("check")

    for line in result.out.splitlines()[:-1]:
        assert "; " in line, line


def test_check_json(coop: Coop) -> None:
    with_many_problems(coop)

    result = coop.run("check", "--json")

    assert result.code == 1
    report = json.loads(result.out)
    assert report["ok"] is False
    assert report["errors"] == len(report["problems"]) == 9
    first = report["problems"][0]
    assert first == {
        "file": "journal/2025/02/alice.beancount",
        "line": 1,
        "code": "unknown-member-account",
        "severity": "error",
        "message": "the account Assets:Members:Zorro is for 'zorro', who is not a member; "
        "add the member with 'coopledger member add zorro ...' or fix the account name",
        "params": {"account": "Assets:Members:Zorro", "member": "zorro"},
    }
    codes = {p["code"] for p in report["problems"]}
    assert codes == {
        "unknown-member-account", "foreign-account", "wrong-currency", "duplicate-trade-id",
        "too-precise", "member-not-active", "below-floor", "total-not-zero",
    }  # fmt: skip


def test_check_json_when_clean(coop: Coop) -> None:
    result = coop.run("check", "--json")

    assert result.code == 0
    assert json.loads(result.out) == {
        "ok": True,
        "errors": 0,
        "warnings": 0,
        "problems": [],
        "closed_months_carried_through": None,
    }


def test_conflict_markers_in_a_journal_file(coop: Coop) -> None:
    coop.write("journal/2025/03/alice.beancount", CONFLICTED)

    result = coop.run("check")

    assert result.code == 1
    f = "journal/2025/03/alice.beancount"
    assert f"{f}:4: error: an unresolved git merge left the marker '<<<<<<<'" in result.out
    assert f"{f}:9: error: an unresolved git merge left the marker '======='" in result.out
    assert f"{f}:14: error: an unresolved git merge left the marker '>>>>>>>'" in result.out
    assert "keep the lines you want, delete the markers, then commit" in result.out
    assert "3 errors" in result.out  # no parse errors on top of the markers


def test_conflict_markers_in_members_yaml(coop: Coop) -> None:
    text = coop.read("members.yaml").replace(
        "  - id: bob\n", "<<<<<<< HEAD\n  - id: bob\n=======\n  - id: bobby\n>>>>>>> other\n"
    )
    coop.write("members.yaml", text)
    line = text.splitlines().index("<<<<<<< HEAD") + 1

    result = coop.run("check")

    assert result.code == 1
    assert f"members.yaml:{line}: error: an unresolved git merge left the marker" in result.out
    assert "3 errors" in result.out


def test_conflict_markers_refuse_any_write(coop: Coop) -> None:
    coop.write("journal/2025/03/alice.beancount", CONFLICTED)
    coop.commit_all("merged badly")
    log = coop.log()

    result = coop.run("trade", "bob", "alice", "1", "--date", "2025-03-05")

    assert result.code == 1
    assert "the cooperative's files have problems" in result.err
    assert "unresolved git merge" in result.err
    assert coop.log() == log


def test_a_hand_written_entry_without_trade_id_passes(coop: Coop) -> None:
    coop.write(
        "journal/2025/03/bob.beancount",
        '2025-03-01 * "jardinage"\n  Assets:Members:Bob  -15 SEL\n  Assets:Members:Alice\n',
    )

    result = coop.run("check")

    assert result.code == 0, result.text
    balances = json.loads(coop.run("balances", "--json", "--at", "2025-03-01").out)["balances"]
    assert balances["alice"] == "15.00" and balances["bob"] == "-15.00"


def test_a_limit_in_force_then_is_used(coop: Coop) -> None:
    """A floor lowered later does not excuse an entry that broke the floor of its day."""
    coop.write(
        "journal/2025/03/bob.beancount",
        '2025-03-01 * "gros achat"\n  Assets:Members:Bob  -700 SEL\n  Assets:Members:Alice\n',
    )
    coop.write(
        "members.yaml",
        coop.read("members.yaml").replace(
            "  - id: bob\n", "  - id: bob\n    floor: {2024-01-01: -500, 2025-06-01: -800}\n"
        ),
    )

    result = coop.run("check")

    assert result.code == 1
    assert (
        "journal/2025/03/bob.beancount:1: error: bob's balance would be -700.00 SEL" in result.out
    )
    assert "below its floor of -500.00 SEL" in result.out


def test_check_outside_a_cooperative(coop: Coop) -> None:
    coop.root = coop.root.parent

    result = coop.run("check")

    assert result.code == 3  # the environment
    assert "is not a coopledger cooperative" in result.err


def test_a_journal_file_outside_the_include_pattern_is_reported(coop: Coop) -> None:
    coop.write(
        "journal/trades.beancount",
        '2026-11-20 * "pain"\n  Assets:Members:Alice  -5.00 SEL\n  Assets:Members:Bob  5.00 SEL\n',
    )

    result = coop.run("check")

    assert result.code == 1
    assert "journal/trades.beancount: error: this journal file is not read" in result.out
    assert "move its entries to journal/YYYY/MM/<member>.beancount" in result.out
