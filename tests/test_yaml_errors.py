"""Mistakes in rules.yaml and members.yaml: each reported with file, line and key."""

from __future__ import annotations

import pytest

from tests.conftest import Coop


def check_lines(coop: Coop) -> list[str]:
    result = coop.run("check")
    assert result.code == 1, result.text
    return result.out.splitlines()


def test_rules_mistakes_are_all_reported_with_line_and_key(coop: Coop) -> None:
    coop.write(
        "rules.yaml",
        "name: SEL\n"  # 1
        "currency: sel\n"  # 2
        "decimal: 2\n"  # 3
        "decimals: 9\n"  # 4
        "limits:\n"  # 5
        "  enforcement: maybe\n"  # 6
        "  person:\n"  # 7
        "    floor: -500.001\n"  # 8
        "    ceiling: 1000\n"  # 9
        "  business: {floor: abc, ceiling: 5000}\n",  # 10
    )

    lines = check_lines(coop)

    assert lines[:6] == [
        "rules.yaml:2: error: 'currency' has the value 'sel', which is not allowed; "
        "use 2 to 24 capitals or digits, starting with a capital, like SEL",
        lines[1],  # the unknown key, checked below
        "rules.yaml:4: error: 'decimals' is '9'; use a whole number from 0 to 8",
        "rules.yaml:6: error: 'enforcement' is 'maybe'; use one of: hard, soft",
        "rules.yaml:10: error: 'floor' has 'abc', which is not an amount; "
        "write a number such as -500 or 12.50",
        "5 errors, 0 warnings",
    ]
    assert lines[1].startswith(
        "rules.yaml:3: error: unknown key 'decimal' in rules.yaml; did you mean 'decimals'? "
        "the known keys are: name, currency, "
    )


def test_a_too_precise_default_limit(coop: Coop) -> None:
    coop.write("rules.yaml", coop.read("rules.yaml").replace("floor: -500", "floor: -500.001"))

    lines = check_lines(coop)

    assert any(
        line.startswith("rules.yaml:")
        and "'floor' has -500.001, more decimals than the currency's 2" in line
        for line in lines
    ), lines


def test_rules_yaml_syntax_error(coop: Coop) -> None:
    coop.write("rules.yaml", "name: [oops\ncurrency: SEL\n")

    lines = check_lines(coop)

    assert lines[0].startswith("rules.yaml:2: error: the YAML cannot be read: ")
    assert lines[0].endswith("; fix the syntax on this line")


def test_rules_yaml_missing_keys(coop: Coop) -> None:
    coop.write("rules.yaml", "name: SEL du Canal\n")

    lines = check_lines(coop)

    assert (
        "rules.yaml:1: error: the key 'currency' is missing; add 'currency:' with a value" in lines
    )
    assert "rules.yaml:1: error: the key 'limits' is missing; add 'limits:' with a value" in lines


def test_rules_without_member_kinds(coop: Coop) -> None:
    coop.write("rules.yaml", "name: SEL\ncurrency: SEL\nlimits:\n  enforcement: hard\n")

    lines = check_lines(coop)

    assert any(
        line.startswith("rules.yaml:4: error: no member kind is defined under 'limits'")
        for line in lines
    ), lines


def test_rules_yaml_that_is_not_a_mapping(coop: Coop) -> None:
    coop.write("rules.yaml", "- SEL\n- 2\n")

    lines = check_lines(coop)

    assert lines[0].startswith("rules.yaml:1: error: the file must be a mapping of keys to values")


def test_rules_currency_that_disagrees_with_the_journal(coop: Coop) -> None:
    coop.write("rules.yaml", coop.read("rules.yaml").replace("currency: SEL", "currency: HEURE"))

    lines = check_lines(coop)

    assert any(
        line.startswith(
            "journal/coop/currency.beancount:2: error: the journal declares "
            "the currency SEL, rules.yaml says HEURE"
        )
        for line in lines
    ), lines


def test_members_mistakes_are_all_reported_with_line_and_key(coop: Coop) -> None:
    text = coop.read("members.yaml")
    first = len(text.splitlines()) + 1
    coop.write(
        "members.yaml",
        text + "  - id: Carol\n"  # +0
        "    nmae: Carol\n"  # +1
        "    kind: robot\n"  # +2
        "    joined: 2024-13-01\n"  # +3
        "    status: {2024-02-01: gone}\n"  # +4
        "  - id: alice\n"  # +5
        "    name: Another Alice\n"
        "    kind: person\n"
        "    joined: 2024-01-01\n"
        "  - id: dan\n"  # +9
        "    name: Dan\n"
        "    joined: yesterday\n"  # +11
        "    kind: person\n"
        "    floor: 1.234\n"  # +13
        "    emails: {work: dan@example.org}\n",  # +14
    )

    lines = check_lines(coop)

    m = "members.yaml"
    assert lines == [
        f"{m}:{first}: error: 'id' has the value 'Carol', which is not allowed; "
        "use lowercase letters, digits and hyphens, like jean-luc or cafe-2",
        f"{m}:{first}: error: the key 'name' is missing; add 'name:' with a value",
        f"{m}:{first + 1}: error: unknown key 'nmae' in a member; did you mean 'name'? "
        "the known keys are: id, name, kind, joined, emails, roles, floor, ceiling, status, "
        "signing_keys",
        f"{m}:{first + 2}: error: 'kind' is 'robot'; use one of: person, business",
        f"{m}:{first + 3}: error: 'joined' has '2024-13-01', which is not a date; "
        "write the date as YYYY-MM-DD",
        f"{m}:{first + 4}: error: 'status' is 'gone'; use one of: active, suspended, left",
        f"{m}:{first + 5}: error: the member id 'alice' is used twice (first on line 10); "
        "give each member its own id",
        f"{m}:{first + 11}: error: 'joined' has 'yesterday', which is not a date; "
        "write the date as YYYY-MM-DD",
        f"{m}:{first + 13}: error: 'floor' has 1.234, more decimals than the currency's 2; "
        "round it to 2 decimal places",
        f"{m}:{first + 14}: error: 'emails' must be a list of text; "
        "write 'emails' as a list of text",
        "10 errors, 0 warnings",
    ]


def test_an_email_shared_by_two_members(coop: Coop) -> None:
    coop.write(
        "members.yaml", coop.read("members.yaml").replace("bob@example.org", "alice@example.org")
    )

    lines = check_lines(coop)

    assert any(
        "the e-mail alice@example.org of 'bob' is also 'alice''s" in line for line in lines
    ), lines


def test_members_yaml_syntax_error(coop: Coop) -> None:
    coop.write("members.yaml", "members:\n  - id: x\n   name: bad indent\n")

    lines = check_lines(coop)

    assert lines[0].startswith("members.yaml:3: error: the YAML cannot be read: ")
    assert lines[-1] == "1 error, 0 warnings"  # no unknown-account noise from beancount


@pytest.mark.parametrize("name", ["rules.yaml", "members.yaml"])
def test_a_missing_file(coop: Coop, name: str) -> None:
    (coop.root / name).unlink()

    result = coop.run("check")

    if name == "rules.yaml":  # without rules.yaml the folder is no cooperative at all
        assert result.code == 3
        assert "is not a coopledger cooperative" in result.err
    else:
        assert result.code == 1
        assert f"{name}: error: a file of the cooperative is missing" in result.out


def test_yaml_problems_refuse_writes(coop: Coop) -> None:
    coop.write("members.yaml", coop.read("members.yaml") + "    nmae: oops\n")
    coop.commit_all("typo")
    log = coop.log()

    result = coop.run("trade", "alice", "bob", "1", "--date", "2025-01-01")

    assert result.code == 1
    assert "the cooperative's files have problems, so nothing is written" in result.err
    assert "unknown key 'nmae'" in result.err
    assert coop.log() == log
