"""`coopledger close YYYY-MM` and `coopledger reverse TRADE_ID`."""

from __future__ import annotations

import json
import re

from beancount import loader

from coopledger.model.closing import fingerprint, month_of
from tests.conftest import Coop

CLOSE = "journal/2026/09/close.beancount"
GATHERED = "journal/2026/09/_month.beancount"  # the month's files, gathered at its close


def line_of(coop: Coop, path: str, text: str) -> int:
    """The number of the first line of `path` that starts with `text`."""
    lines = coop.read(path).splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.startswith(text))


def balances(coop: Coop) -> dict[str, str]:
    result = coop.run("balances", "--json")
    assert result.code == 0, result.text
    return json.loads(result.out)["balances"]


def closed(coop: Coop) -> Coop:
    for args in (("alice", "bob", "40", "--date", "2026-09-02"),
                 ("bob", "fournil", "15", "--date", "2026-09-30")):  # fmt: skip
        assert coop.run("trade", *args).code == 0
    result = coop.run("close", "2026-09")
    assert result.code == 0, result.text
    return coop


def test_close_records_every_balance_and_a_fingerprint_and_commits(coop: Coop) -> None:
    result = closed(coop).run("check")

    assert result.code == 0, result.text
    assert coop.log()[0] == "close: 2026-09"
    assert coop.status() == ""
    text = coop.read(CLOSE)
    for line in (
        "2026-10-01 balance Assets:Members:Tresa              0.00 SEL",
        "2026-10-01 balance Assets:Members:Alice            -40.00 SEL",
        "2026-10-01 balance Assets:Members:Bob               25.00 SEL",
        "2026-10-01 balance Assets:Members:Fournil           15.00 SEL",
        '2026-10-01 custom "coopledger-close" "2026-09"',
        "  entries: 2",
    ):
        assert line in text.splitlines(), text
    entries, errors, _ = loader.load_file(str(coop.root / "journal/main.beancount"))
    assert not errors  # bean-check agrees: the balance assertions hold
    first, after = month_of("2026-09")
    month = [e for e in entries if first <= e.date < after and type(e).__name__ == "Transaction"]
    assert f'fingerprint: "{fingerprint(month)[0]}"' in text


def test_a_trade_dated_in_a_closed_month_is_refused_and_changes_nothing(coop: Coop) -> None:
    before = closed(coop).log()

    result = coop.run("trade", "alice", "bob", "1", "--date", "2026-09-15")

    assert result.code == 1
    assert result.err.startswith(
        "error: journal/2026/09/alice.beancount: this write is dated in 2026-09, "
        "but the books are closed up to 2026-09\n  → date it after 2026-09 (from 2026-10-01)"
    )
    assert coop.log() == before and coop.status() == ""
    assert coop.run("trade", "alice", "bob", "1", "--date", "2026-10-01").code == 0


def test_check_names_the_month_and_the_entry_edited_or_removed(coop: Coop) -> None:
    path = GATHERED
    closed(coop).write(path, coop.read(path).replace("40.00 SEL", "39.00 SEL"))
    line = line_of(coop, path, "2026-09-02 *")

    result = coop.run("check")

    assert result.code == 1
    assert result.out.startswith(
        f"{path}:{line}: error: the month 2026-09 is closed ({CLOSE}:8), but this entry of "
        "2026-09-02 was added or edited after closing"
    )
    assert f"{CLOSE}:8: error: the month 2026-09 is closed, but 1 of its entries were " in (
        result.out
    )

    alice_part = re.compile(r"; ---- 02/alice\.[^\n]*\.beancount\n.*?(?=; ---- )", re.DOTALL)
    coop.write(path, alice_part.sub("", coop.read(path)))  # her entry removed, bob's kept
    removed = coop.run("check")
    assert f"{CLOSE}:8: error: the month 2026-09 is closed, but 1 of its entries" in removed.out
    assert f"{path}:{line}" not in removed.out


def test_close_refusals(coop: Coop) -> None:
    closed(coop)
    next_month = "2026-12"  # today is 2026-11-25 (conftest)
    for args, words in (
        (("2026-09",), f"error: the month 2026-09 is already closed ({CLOSE})"),
        (("2026-13",), "error: '2026-13' is not a month"),
        (("sept",), "error: 'sept' is not a month"),
        ((next_month,), f"error: the month {next_month} is not over"),
        (("2026-08", "--as", "alice"), "error: 'alice' cannot close: only a member with the role"),
    ):
        result = coop.run("close", *args)
        assert result.code == 1, args
        assert result.err.startswith(words), result.err
    coop.append("journal/2026/08/alice.beancount", '2026-08-01 * "x"\n  Expenses:Food 1 SEL\n')
    coop.commit_all()
    broken = coop.run("close", "2026-08")
    assert broken.code == 1
    assert broken.err.startswith("error: the cooperative's files have problems")


def test_hand_written_close_directives_are_checked(coop: Coop) -> None:
    closed(coop).append(
        "journal/2026/10/tresa.beancount",
        '2026-10-01 custom "coopledger-close" "2026-09"\n  fingerprint: "sha256:0"\n\n'
        '2026-10-01 custom "coopledger-close" "sept"\n  fingerprint: "sha256:0"\n\n'
        '2026-11-01 custom "coopledger-close" "2026-10"\n',
    )

    result = coop.run("check")

    assert "the month 2026-09 is closed twice (first at journal/2026/09/close.beancount:8)" in (
        result.out
    )
    assert "the close directive names 'sept', which is not a month" in result.out
    assert "the close of 2026-10 has no fingerprint" in result.out


def test_a_closed_month_with_entries_changed_but_no_digests_is_still_caught(coop: Coop) -> None:
    closed(coop).write(CLOSE, re.sub(r'  digests: ".*"\n', "", coop.read(CLOSE)))
    coop.write(GATHERED, coop.read(GATHERED).replace('"trade"', '"pain"'))

    result = coop.run("check")

    assert result.out.startswith(
        f"{CLOSE}:8: error: the entries of the closed month 2026-09 no longer match its fingerprint"
    )


# ---------------------------------------------------------------- reverse


def trade_id(coop: Coop, path: str) -> str:
    found = re.search(r'trade: "([^"]+)"', coop.read(path))
    assert found
    return found.group(1)


def test_reverse_writes_the_exact_counter_entry_linked_to_the_trade(coop: Coop) -> None:
    assert (
        coop.run("trade", "alice", "fournil", "40", "--date", "2026-11-02", "-m", "pain").code == 0
    )
    original = trade_id(coop, coop.last_written())

    result = coop.run("reverse", original, "--date", "2026-11-05")

    assert result.code == 0, result.text
    assert f"Reversed {original} with 2026-11-05-" in result.out
    assert coop.log()[0] == f"reverse: {original} (fournil → alice 40.00 SEL)"
    text = coop.read(coop.last_written())
    new_id = trade_id(coop, coop.last_written())
    assert coop.last_written() == f"journal/2026/11/05/fournil.{new_id}.beancount"
    assert text == (
        f'2026-11-05 * "reversal of {original}: pain"\n'
        f'  trade: "{new_id}"\n'
        f'  reverses: "{original}"\n'
        "  Assets:Members:Fournil  -40.00 SEL\n"
        "  Assets:Members:Alice     40.00 SEL\n"
    )
    assert balances(coop) == {"tresa": "0.00", "alice": "0.00", "bob": "0.00", "fournil": "0.00"}
    assert coop.run("check").code == 0


def test_reversing_twice_is_refused(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "40", "--date", "2026-11-02").code == 0
    original = trade_id(coop, coop.last_written())
    assert coop.run("reverse", original, "--memo", "mistake", "--date", "2026-11-03").code == 0
    reversal = coop.last_written()
    assert '"mistake"' in coop.read(reversal)
    before = coop.log()

    result = coop.run("reverse", original)

    assert result.code == 1
    assert result.err.startswith(f"error: the trade {original} is already reversed by 2026-11-03-")
    assert f"({reversal}:1)" in result.err
    assert coop.log() == before


def test_reverse_refusals(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "400", "--date", "2026-11-02").code == 0
    original = trade_id(coop, coop.last_written())
    assert coop.run("trade", "bob", "fournil", "600", "--date", "2026-11-03").code == 0

    unknown = coop.run("reverse", original[:-1] + "x")
    assert unknown.code == 1
    assert unknown.err.startswith(
        f"error: no trade has the id '{original[:-1]}x' (did you mean '{original}'?)"
    )

    over = coop.run("reverse", original, "--date", "2026-11-04")  # bob has spent it
    assert over.code == 1
    assert over.err.startswith(f"error: the reversal of {original} is refused")
    assert "bob's balance would be -600.00 SEL" in over.err

    assert coop.run("member", "suspend", "alice", "--date", "2026-11-10").code == 0
    suspended = coop.run("reverse", original, "--date", "2026-11-12")
    assert suspended.code == 1
    assert "'alice' is suspended on 2026-11-12" in suspended.err


def test_a_reversal_into_a_closed_month_is_refused(coop: Coop) -> None:
    closed(coop)
    original = trade_id(coop, GATHERED)

    result = coop.run("reverse", original, "--date", "2026-09-30")

    assert result.code == 1
    assert "the month 2026-09 is closed" in result.err
