"""`coopledger member ...`: each change validated, written to members.yaml, committed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import Coop


def unchanged(coop: Coop, members_before: str, log_before: list[str]) -> None:
    assert coop.read("members.yaml") == members_before
    assert coop.log() == log_before
    assert coop.status() == ""


def test_member_add_writes_members_yaml_and_commits(empty_coop: Coop) -> None:
    result = empty_coop.run(
        "member",
        "add",
        "helene",
        "--name",
        "Hélène Dupré",
        "--kind",
        "person",
        "--email",
        "helene@example.org",
        "--email",
        "h.dupre@example.org",
        "--joined",
        "2019-05-04",
        "--floor",
        "-300",
        "--ceiling",
        "800",
        "--role",
        "animatrice",
    )

    assert result.code == 0, result.text
    assert "Added helene (Hélène Dupré, person)" in result.out
    assert empty_coop.log()[0] == "member: add helene (Hélène Dupré)"
    text = empty_coop.read("members.yaml")
    assert "name: Hélène Dupré" in text
    assert "joined: 2019-05-04" in text
    assert "emails: [helene@example.org, h.dupre@example.org]" in text
    assert "floor: -300.00" in text and "ceiling: 800.00" in text
    assert "roles: [animatrice]" in text
    assert empty_coop.status() == ""
    assert empty_coop.run("check").code == 0
    # signed by the treasurer, as whom git is set up in this repository
    assert empty_coop.git("log", "-1", "--format=%ae").strip() == "tresa@example.org"


def test_member_add_keeps_comments_and_other_members(coop: Coop) -> None:
    coop.write("members.yaml", coop.read("members.yaml") + "  # a note about bob\n")
    coop.commit_all()

    assert coop.run("member", "add", "carol", "--name", "Carol").code == 0

    text = coop.read("members.yaml")
    assert "# a note about bob" in text
    assert text.index("id: bob") < text.index("id: carol")


def test_member_list_and_show(coop: Coop) -> None:
    coop.run("trade", "alice", "fournil", "40", "--date", "2024-02-01")

    listed = coop.run("member", "list", "--json")
    shown = coop.run("member", "show", "fournil")
    table = coop.run("member", "list")

    assert listed.code == 0, listed.text
    rows = {row["id"]: row for row in json.loads(listed.out)}
    assert list(rows) == ["tresa", "alice", "bob", "fournil"]
    assert rows["alice"]["balance"] == "-40.00"
    assert rows["fournil"] == {
        "id": "fournil",
        "name": "Le Fournil",
        "kind": "business",
        "status": "active",
        "joined": "2024-01-01",
        "roles": [],
        "balance": "40.00",
    }
    assert shown.code == 0, shown.text
    assert "fournil: Le Fournil" in shown.out
    assert "Assets:Members:Fournil" in shown.out
    assert "40.00 SEL" in shown.out and "-2000.00 SEL" in shown.out
    assert table.code == 0 and "Alice Martin" in table.out


def test_member_show_unknown_member_suggests_a_close_id(coop: Coop) -> None:
    result = coop.run("member", "show", "alise")

    assert result.code == 1
    assert "'alise' is not a member (did you mean 'alice'?)" in result.err


def test_suspend_then_reactivate(coop: Coop) -> None:
    suspended = coop.run("member", "suspend", "bob", "--date", "2025-03-01")
    refused = coop.run("trade", "bob", "alice", "5", "--date", "2025-04-01")
    reactivated = coop.run("member", "reactivate", "bob", "--date", "2025-05-01")
    accepted = coop.run("trade", "bob", "alice", "5", "--date", "2025-05-02")

    assert suspended.code == 0, suspended.text
    assert "bob is suspended from 2025-03-01" in suspended.out
    assert refused.code == 1
    assert "'bob' is suspended on 2025-04-01" in refused.err
    assert reactivated.code == 0, reactivated.text
    assert accepted.code == 0, accepted.text
    assert "status: {2025-03-01: suspended, 2025-05-01: active}" in coop.read("members.yaml")
    assert coop.log()[:3] == [
        "trade: bob → alice 5.00 SEL",
        "member: reactivate bob from 2025-05-01",
        "member: suspend bob from 2025-03-01",
    ]
    assert coop.run("check").code == 0


def test_suspending_a_member_who_traded_after_that_date_is_refused(coop: Coop) -> None:
    assert coop.run("trade", "bob", "alice", "5", "--date", "2025-04-01").code == 0
    written = coop.last_written()
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "suspend", "bob", "--date", "2025-03-01")

    assert result.code == 1
    assert "'bob' is suspended on 2025-04-01" in result.err
    assert f"{written}:1" in result.err
    unchanged(coop, members, log)


def test_leave_with_a_zero_balance(coop: Coop) -> None:
    result = coop.run("member", "leave", "bob", "--date", "2025-01-01")

    assert result.code == 0, result.text
    assert "status: {2025-01-01: left}" in coop.read("members.yaml")
    assert coop.log()[0] == "member: leave bob from 2025-01-01"
    listed = {row["id"]: row for row in json.loads(coop.run("member", "list", "--json").out)}
    assert listed["bob"]["status"] == "left"


def test_leave_is_refused_while_the_balance_is_not_zero(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "12.5", "--date", "2024-06-01").code == 0
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "leave", "bob")

    assert result.code == 1
    assert "'bob' cannot leave with a balance of 12.50 SEL" in result.err
    unchanged(coop, members, log)


def test_leave_after_settling_to_zero(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "12.5", "--date", "2024-06-01").code == 0
    assert coop.run("trade", "bob", "alice", "12.5", "--date", "2024-07-01").code == 0

    assert coop.run("member", "leave", "bob", "--date", "2024-08-01").code == 0
    assert coop.run("check").code == 0


def test_a_member_can_join_years_ago_and_trade_then(empty_coop: Coop) -> None:
    assert (
        empty_coop.run(
            "member",
            "add",
            "ana",
            "--name",
            "Ana",
            "--joined",
            "2012-09-01",
            "--email",
            "ana@example.org",
        ).code
        == 0
    )

    result = empty_coop.run("trade", "ana", "tresa", "3", "--date", "2013-01-15")

    assert result.code == 1  # tresa had not joined in 2013
    assert "'tresa' is not yet a member on 2013-01-15" in result.err
    assert empty_coop.run("trade", "tresa", "ana", "3", "--date", "2024-01-15").code == 0


@pytest.mark.parametrize(
    ("member_id", "message"),
    [
        ("Alice", "'Alice' is not a valid member id"),
        ("jean luc", "'jean luc' is not a valid member id"),
        ("-bob", "'-bob' is not a valid member id"),
        ("hélène", "'hélène' is not a valid member id"),
    ],
)
def test_member_add_refuses_a_bad_id(coop: Coop, member_id: str, message: str) -> None:
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "add", "--name", "X", "--", member_id)

    assert result.code == 1
    assert message in result.err
    unchanged(coop, members, log)


def test_member_add_refuses_a_duplicate(coop: Coop) -> None:
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "add", "alice", "--name", "Another Alice")

    assert result.code == 1
    assert "'alice' is already a member" in result.err
    unchanged(coop, members, log)


def test_member_add_refuses_an_unknown_kind(coop: Coop) -> None:
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "add", "carol", "--name", "Carol", "--kind", "association")

    assert result.code == 1
    assert "'association' is not a member kind" in result.err
    assert "person, business" in result.err
    unchanged(coop, members, log)


def test_member_add_refuses_a_bad_email(coop: Coop) -> None:
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "add", "carol", "--name", "Carol", "--email", "carol.example.org")

    assert result.code == 1
    assert "'carol.example.org' is not an e-mail address" in result.err
    unchanged(coop, members, log)


def test_member_add_refuses_an_email_of_another_member(coop: Coop) -> None:
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "add", "carol", "--name", "Carol", "--email", "alice@example.org")

    assert result.code == 1
    assert "alice@example.org" in result.err and "'alice'" in result.err
    unchanged(coop, members, log)


def test_member_add_refuses_a_bad_date(coop: Coop) -> None:
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "add", "carol", "--name", "Carol", "--joined", "2024/02/01")

    assert result.code == 1
    assert "'2024/02/01' is not a date" in result.err
    # day and month could be either way round: said, not guessed (French: day first)
    ambiguous = coop.run("member", "add", "carol", "--name", "Carol", "--joined", "01/02/2024")
    assert ambiguous.code == 1
    assert "'01/02/2024' is ambiguous: it could be 2024-02-01 (day first)" in ambiguous.err
    unchanged(coop, members, log)


def test_member_add_refuses_a_bad_limit(coop: Coop) -> None:
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "add", "carol", "--name", "Carol", "--floor", "-10.001")

    assert result.code == 1
    assert "-10.001 has more than 2 decimal places" in result.err
    unchanged(coop, members, log)


def test_status_change_of_unknown_member_is_refused(coop: Coop) -> None:
    members, log = coop.read("members.yaml"), coop.log()

    result = coop.run("member", "suspend", "bobb")

    assert result.code == 1
    assert "'bobb' is not a member (did you mean 'bob'?)" in result.err
    unchanged(coop, members, log)


def test_member_add_with_as_signs_as_that_member(coop: Coop) -> None:
    result = coop.run("member", "add", "carol", "--name", "Carol", "--as", "alice")

    assert result.code == 0, result.text
    assert coop.git("log", "-1", "--format=%an <%ae>").strip() == "Alice Martin <alice@example.org>"


def test_a_long_name_wraps_but_ids_and_amounts_are_never_cut(coop: Coop) -> None:
    name = "Association des Jardins Partagés du Canal Saint-Martin"
    assert coop.run("member", "add", "jardins", "--name", name, "--joined", "2024-01-01").code == 0
    assert coop.run("trade", "fournil", "jardins", "999.99", "--date", "2024-02-01").code == 0
    env = {**os.environ, "COLUMNS": "80"}

    for command in (["balances", "--at", "2024-12-31"], ["member", "list"]):
        shown = subprocess.run(
            [sys.executable, "-m", "coopledger", "--dir", str(coop.root), *command],
            capture_output=True, text=True, check=True, env=env,
        ).stdout  # fmt: skip

        assert "…" not in shown, shown
        assert "jardins" in shown and "999.99" in shown
        assert max(len(line) for line in shown.splitlines()) <= 80
