"""Invoices and settlements: `coopledger invoice`, `invoices`, `settle`, and their checks."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Coop, bean_check

INVOICE_FILE = "journal/2026/11/fournil.beancount"


def invoices(coop: Coop, *args: str) -> list[dict[str, str]]:
    result = coop.run("invoices", "--json", *args)
    assert result.code == 0, result.text
    return json.loads(result.out)


def balances(coop: Coop) -> dict[str, str]:
    result = coop.run("balances", "--json", "--at", "2026-12-31")
    assert result.code == 0, result.text
    return json.loads(result.out)["balances"]


def test_an_invoice_is_written_in_the_creditors_file_and_moves_no_balance(coop: Coop) -> None:
    result = coop.run(
        "invoice",
        "alice",
        "fournil",
        "120",
        "--ref",
        "F-031",
        "--due",
        "2026-12-31",
        "--memo",
        "pain, novembre",
        "--date",
        "2026-11-03",
    )

    assert result.code == 0, result.text
    assert "alice owes fournil 120.00 SEL" in result.out
    assert coop.log()[0] == "invoice F-031: alice owes fournil 120.00 SEL — pain, novembre"
    assert coop.status() == ""
    assert coop.last_written() == "journal/2026/11/03/fournil.invoice-f-031.beancount"
    assert coop.read(coop.last_written()) == (
        '2026-11-03 * "pain, novembre"\n'
        '  invoice: "F-031"\n'
        "  due: 2026-12-31\n"
        "  Assets:Receivable:Fournil   120.00 SEL\n"
        "  Liabilities:Payable:Alice  -120.00 SEL\n"
    )
    assert set(balances(coop).values()) == {"0.00"}
    [row] = invoices(coop)
    assert row["remaining"] == "120.00" and row["due"] == "2026-12-31"
    assert coop.run("check").code == 0
    assert bean_check(coop.root).returncode == 0, bean_check(coop.root).stdout


def test_settle_pays_part_then_the_rest_of_an_invoice(coop: Coop) -> None:
    coop.run("invoice", "alice", "fournil", "120", "--ref", "F-031", "--date", "2026-11-03")

    first = coop.run("settle", "F-031", "50", "--date", "2026-11-20")
    rest = coop.run("settle", "F-031", "--date", "2026-11-21")

    assert first.code == 0, first.text
    assert "70.00 SEL left" in first.out
    assert rest.code == 0, rest.text
    assert coop.log()[:2] == [
        "settle F-031: alice → fournil 70.00 SEL",
        "settle F-031: alice → fournil 50.00 SEL",
    ]
    assert coop.last_written().startswith("journal/2026/11/21/alice.2026-11-21-")
    assert 'settles: "F-031"' in coop.read(coop.last_written())
    assert balances(coop)["alice"] == "-120.00"
    assert balances(coop)["fournil"] == "120.00"
    assert invoices(coop, "--open") == []
    [row] = invoices(coop, "--member", "alice")
    assert (row["settled"], row["remaining"]) == ("120.00", "0.00")
    assert bean_check(coop.root).returncode == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("alice", "zoe", "10", "--ref", "R1"), "'zoe' is not a member"),
        (("alice", "alice", "10", "--ref", "R1"), "'alice' cannot owe itself"),
        (("alice", "bob", "0", "--ref", "R1"), "the amount must be more than zero"),
        (("--ref", "R1", "--", "alice", "bob", "-5"), "the amount must be more than zero"),
        (("alice", "bob", "dix", "--ref", "R1"), "'dix' is not an amount"),
        (("alice", "bob", "1.234", "--ref", "R1"), "1.234 has more than 2 decimal places"),
        (("alice", "bob", "10", "--ref", "a ref"), "'a ref' cannot be an invoice reference"),
        (("alice", "bob", "10", "--ref", "R1", "--due", "2026-01-01"), "is before the invoice"),
    ],
)
def test_a_wrong_invoice_is_refused_and_nothing_is_written(
    coop: Coop, args: tuple[str, ...], expected: str
) -> None:
    before = coop.log()

    result = coop.run("invoice", "--date", "2026-11-03", *args)

    assert result.code == 1
    assert expected in result.err
    assert coop.log() == before
    assert coop.status() == ""


def test_a_duplicate_reference_is_refused(coop: Coop) -> None:
    coop.run("invoice", "alice", "fournil", "120", "--ref", "F-031", "--date", "2026-11-03")
    before = coop.log()

    result = coop.run("invoice", "bob", "fournil", "5", "--ref", "F-031", "--date", "2026-11-04")

    assert result.code == 1
    assert (
        "the invoice 'F-031' already exists (journal/2026/11/03/fournil.invoice-f-031.beancount:1)"
        in result.err
    )
    assert coop.log() == before and coop.status() == ""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("F-031", "120.01"), "cannot settle 120.01 SEL of invoice 'F-031': 120.00 SEL is left"),
        (("F-404",), "there is no invoice 'F-404'"),
        (("F-031", "0"), "the amount must be more than zero"),
    ],
)
def test_a_wrong_settlement_is_refused(coop: Coop, args: tuple[str, ...], expected: str) -> None:
    coop.run("invoice", "alice", "fournil", "120", "--ref", "F-031", "--date", "2026-11-03")
    before = coop.log()

    result = coop.run("settle", *args, "--date", "2026-11-20")

    assert result.code == 1
    assert expected in result.err
    assert coop.log() == before and coop.status() == ""


def test_settling_a_paid_invoice_is_refused(coop: Coop) -> None:
    coop.run("invoice", "alice", "fournil", "120", "--ref", "F-031", "--date", "2026-11-03")
    coop.run("settle", "F-031", "--date", "2026-11-20")

    result = coop.run("settle", "F-031", "--date", "2026-11-21")

    assert result.code == 1
    assert "0.00 SEL is left" in result.err


def test_a_settlement_beyond_the_debtors_floor_is_refused(coop: Coop) -> None:
    coop.run("invoice", "alice", "fournil", "600", "--ref", "F-031", "--date", "2026-11-03")

    result = coop.run("settle", "F-031", "--date", "2026-11-20")

    assert result.code == 1
    assert "below its floor of -500.00 SEL" in result.err
    assert invoices(coop)[0]["remaining"] == "600.00"


# ---------------------------------------------------------------- hand-written entries

GOOD_INVOICE = """
2026-11-03 * "pain"
  invoice: "F-1"
  Assets:Receivable:Fournil   100.00 SEL
  Liabilities:Payable:Alice  -100.00 SEL
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD_INVOICE + GOOD_INVOICE.replace("Alice", "Bob"),
            "the invoice reference 'F-1' is already used at journal/2026/11/fournil.beancount:1",
        ),
        (GOOD_INVOICE.replace("Alice", "Fournil"), "the invoice 'F-1' makes 'fournil' owe itself"),
        (GOOD_INVOICE.replace("Alice", "Zoe"), "is for 'zoe', who is not a member"),
        (
            GOOD_INVOICE
            + """
2026-11-04 * "settles"
  settles: "F-1"
  Assets:Members:Alice       -100.01 SEL
  Assets:Members:Fournil      100.01 SEL
  Liabilities:Payable:Alice   100.01 SEL
  Assets:Receivable:Fournil  -100.01 SEL
""",
            "invoice 'F-1' is reduced by 100.01 with only 100.00 left",
        ),
        (
            GOOD_INVOICE
            + """
2026-11-04 * "clearing"
  clearing: "c1"
  clears: "F-1"
  Liabilities:Payable:Alice   40.00 SEL
  Assets:Receivable:Fournil  -40.00 SEL
""",
            "clearing 'c1' changes the net position of 'alice' by 40.00",
        ),
        (
            GOOD_INVOICE
            + """
2026-11-04 * "clearing"
  clearing: "c1"
  clears: "F-1"
  Liabilities:Payable:Alice   -40.00 SEL
  Assets:Receivable:Fournil    40.00 SEL
""",
            "clearing 'c1' increases invoice 'F-1'",
        ),
        (
            """
2026-11-04 * "no ref"
  Liabilities:Payable:Alice   -40.00 SEL
  Assets:Receivable:Fournil    40.00 SEL
""",
            "is used by an entry that is no invoice, settlement or clearing",
        ),
        (
            """
2026-11-04 * "paid"
  settles: "F-9"
  Liabilities:Payable:Alice   40.00 SEL
  Assets:Receivable:Fournil  -40.00 SEL
""",
            "'settles: \"F-9\"' names no invoice of the journal",
        ),
    ],
)
def test_check_and_bean_check_find_wrong_invoice_entries(
    coop: Coop, text: str, expected: str
) -> None:
    coop.write(INVOICE_FILE, text.lstrip("\n"))
    coop.commit_all()

    result = coop.run("check")

    assert result.code == 1
    assert expected in result.out
    checked = bean_check(coop.root)
    assert checked.returncode != 0
    assert expected in checked.stdout + checked.stderr


def test_a_hand_written_invoice_and_balanced_clearing_pass_every_check(coop: Coop) -> None:
    coop.write(
        INVOICE_FILE,
        GOOD_INVOICE.lstrip("\n")
        + """
2026-11-04 * "fournil owes alice"
  invoice: "A-1"
  due: 2026-12-01
  Assets:Receivable:Alice     30.00 SEL
  Liabilities:Payable:Fournil
""",
    )
    coop.write(
        "journal/2026/11/clearing.beancount",
        """2026-11-30 * "clearing"
  clearing: "c1"
  clears: "F-1"
  Liabilities:Payable:Alice   30.00 SEL
  Assets:Receivable:Fournil  -30.00 SEL

2026-11-30 * "clearing"
  clearing: "c1"
  clears: "A-1"
  Liabilities:Payable:Fournil   30.00 SEL
  Assets:Receivable:Alice      -30.00 SEL
""",
    )
    coop.commit_all()

    assert coop.run("check").code == 0, coop.run("check").text
    assert bean_check(coop.root).returncode == 0
    rows = {row["ref"]: row for row in invoices(coop)}
    assert (rows["F-1"]["cleared"], rows["F-1"]["remaining"]) == ("30.00", "70.00")
    assert rows["A-1"]["remaining"] == "0.00"
