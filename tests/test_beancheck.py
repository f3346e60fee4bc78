"""bean-check itself (and so fava) runs the coopledger plugin: the rules hold outside coopledger."""

from __future__ import annotations

from tests.conftest import Coop, bean_check


def test_bean_check_accepts_journals_written_by_coopledger(coop: Coop) -> None:
    assert coop.run("trade", "alice", "fournil", "40", "--date", "2025-01-01").code == 0
    assert coop.run("trade", "fournil", "bob", "12.5", "--date", "2025-02-01").code == 0

    result = bean_check(coop.root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_bean_check_accepts_a_valid_hand_written_entry(coop: Coop) -> None:
    coop.write(
        "journal/2025/03/bob.beancount",
        '2025-03-01 * "jardinage"\n  Assets:Members:Bob    -15 SEL\n  Assets:Members:Alice\n',
    )

    result = bean_check(coop.root)

    assert result.returncode == 0, result.stdout + result.stderr


def test_bean_check_rejects_a_hand_written_limit_breach(coop: Coop) -> None:
    coop.write(
        "journal/2025/03/bob.beancount",
        '2025-03-01 * "trop"\n  Assets:Members:Bob    -500.01 SEL\n  Assets:Members:Alice\n',
    )

    result = bean_check(coop.root)

    assert result.returncode != 0
    assert "journal/2025/03/bob.beancount:1:" in result.stderr + result.stdout
    assert (
        "bob's balance would be -500.01 SEL at the end of 2025-03-01, "
        "below its floor of -500.00 SEL" in result.stderr + result.stdout
    )


def test_bean_check_rejects_a_breach_of_a_later_date(coop: Coop) -> None:
    """An entry written by hand in the past may break a balance already in the journal."""
    assert coop.run("trade", "bob", "alice", "450", "--date", "2025-06-01").code == 0
    coop.write(
        "journal/2025/01/bob.beancount",
        '2025-01-01 * "oublié"\n  Assets:Members:Bob    -100 SEL\n  Assets:Members:Tresa\n',
    )

    result = bean_check(coop.root)

    assert result.returncode != 0
    assert "bob's balance would be -550.00 SEL at the end of 2025-06-01" in result.stderr


def test_bean_check_rejects_a_suspended_member_and_an_unknown_account(coop: Coop) -> None:
    assert coop.run("member", "suspend", "bob", "--date", "2025-01-01").code == 0
    coop.write(
        "journal/2025/03/alice.beancount",
        '2025-03-01 * "x"\n  Assets:Members:Alice  -5 SEL\n  Assets:Members:Bob\n\n'
        '2025-03-02 * "y"\n  Assets:Members:Alice  -5 SEL\n  Assets:Members:Zoe\n',
    )

    result = bean_check(coop.root)

    assert result.returncode != 0
    assert "'bob' is suspended on 2025-03-01 and cannot trade" in result.stderr
    assert "Assets:Members:Zoe" in result.stderr


def test_bean_check_soft_limits_are_not_errors(coop: Coop) -> None:
    coop.write(
        "rules.yaml", coop.read("rules.yaml").replace("enforcement: hard", "enforcement: soft")
    )
    coop.write(
        "journal/2025/03/bob.beancount",
        '2025-03-01 * "trop"\n  Assets:Members:Bob    -600 SEL\n  Assets:Members:Alice\n',
    )

    result = bean_check(coop.root)

    assert result.returncode == 0, result.stderr
