"""Invariants of the ledger, for any sequence of trades (hypothesis).

- every accepted trade keeps the sum of all balances at zero and every balance,
  on every day, within the member's floor and ceiling;
- a trade is refused exactly when it would break a limit on its date or on any
  later date, or names a member who is not active that day (an independent
  oracle, written here from the rules, decides);
- a refused trade changes nothing: no file, no commit.

The core functions (`changes.plan_trade`, `store.load`) are used directly for
speed; one property drives the real command line, with few examples.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopledger.cli import main
from coopledger.model.journal import CURRENCY_FILE, MAIN_FILE, currency_file_text, main_file_text
from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.problems import CoopError
from coopledger.plans.changes import plan_trade
from coopledger.storage import store
from coopledger.validation.checks import balance_at, check_ledger
from tests.conftest import Coop

RULES = """\
name: Propriétés
currency: SEL
decimals: 2
limits:
  enforcement: hard
  person: {floor: -50, ceiling: 100}
  business: {floor: -200, ceiling: 300}
"""

MEMBERS = """\
members:
  - id: ana
    name: Ana
    kind: person
    joined: 2025-01-01
    emails: [ana@example.org]
    roles: [treasurer]
  - id: ben
    name: Ben
    kind: person
    joined: 2025-01-01
    floor: -120
  - id: cleo
    name: Cléo
    kind: person
    joined: 2025-01-01
    status: {2025-02-01: suspended, 2025-03-01: active}
  - id: four
    name: Le Four
    kind: business
    joined: 2025-01-15
"""

IDS = ["ana", "ben", "cleo", "four"]
START = datetime.date(2025, 1, 1)
AUTHOR = ("Ana", "ana@example.org")


@dataclass(frozen=True)
class Attempt:
    payer: str
    payee: str
    amount: str
    day: datetime.date


attempts = st.builds(
    Attempt,
    payer=st.sampled_from(IDS),
    payee=st.sampled_from(IDS),
    amount=st.one_of(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(250), places=2).map(str),
        st.sampled_from(["0", "-3", "1.005", "abc"]),
    ),
    day=st.dates(min_value=datetime.date(2024, 12, 25), max_value=datetime.date(2025, 3, 31)),
)


@contextmanager
def cooperative_on_disk() -> Iterator[Path]:
    """The files of a small cooperative, without git: enough for the core."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "journal" / "coop").mkdir(parents=True)
        (root / "rules.yaml").write_text(RULES, encoding="utf-8")
        (root / "members.yaml").write_text(MEMBERS, encoding="utf-8")
        (root / MAIN_FILE).write_text(main_file_text("Propriétés", "SEL"), encoding="utf-8")
        (root / CURRENCY_FILE).write_text(currency_file_text("SEL", "SEL", START), "utf-8")
        yield root


def files_of(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*.beancount"))
    }


def oracle_accepts(coop: store.Cooperative, attempt: Attempt) -> bool:
    """Whether the rules allow `attempt`, judged from balances, without coopledger's checks."""
    assert coop.rules is not None and coop.roster is not None
    try:
        amount = Decimal(attempt.amount)
    except ArithmeticError:
        return False
    if attempt.payer == attempt.payee or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return False
    for member_id, sign in ((attempt.payer, -1), (attempt.payee, 1)):
        member = coop.roster.by_id[member_id]
        if member.status_at(attempt.day) != "active":
            return False
        series = coop.history.get(member_id, [])
        days = {attempt.day} | {p.date for p in series if p.date >= attempt.day}
        for day in days:
            after = balance_at(series, day) + sign * amount
            floor = floor_at(member, coop.rules, day)
            ceiling = ceiling_at(member, coop.rules, day)
            assert floor is not None and ceiling is not None
            if not floor <= after <= ceiling:
                return False
    return True


def assert_sound(coop: store.Cooperative) -> None:
    """Zero sum, and every balance within its limits on every day it moved."""
    assert coop.rules is not None and coop.roster is not None
    assert coop.problems == []
    assert check_ledger(coop.entries, coop.roster, coop.rules, str(coop.root)) == []
    finals = [series[-1].closing for series in coop.history.values() if series]
    assert sum(finals, Decimal(0)) == 0
    for member_id, series in coop.history.items():
        member = coop.roster.by_id[member_id]
        for point in series:
            floor = floor_at(member, coop.rules, point.date)
            ceiling = ceiling_at(member, coop.rules, point.date)
            assert floor is not None and ceiling is not None
            assert floor <= point.closing <= ceiling, (member_id, point)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.lists(attempts, min_size=1, max_size=14))
def test_accepted_trades_keep_the_ledger_sound_and_refusals_are_exact(
    sequence: list[Attempt],
) -> None:
    with cooperative_on_disk() as root:
        coop = store.load(root)
        accepted = 0
        for attempt in sequence:
            before = files_of(root)
            expected = oracle_accepts(coop, attempt)
            try:
                change = plan_trade(
                    coop,
                    payer=attempt.payer,
                    payee=attempt.payee,
                    amount=attempt.amount,
                    day=attempt.day,
                    author=AUTHOR,
                ).change
            except CoopError as error:
                assert not expected, (attempt, error.code, error.problems)
                assert files_of(root) == before
                continue
            assert expected, attempt
            for name, text in change.files.items():
                store.write_atomically(root / name, text)
            accepted += 1
            coop = store.load(root)
            assert_sound(coop)
        transactions = sum(1 for e in coop.entries if type(e).__name__ == "Transaction")
        assert transactions == accepted


# ---------------------------------------------------------------- the real command line


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(attempts, min_size=1, max_size=5))
def test_through_the_command_line_refusals_change_nothing_and_commits_count_right(
    capsys: pytest.CaptureFixture[str], sequence: list[Attempt]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        coop = Coop(Path(folder) / "coop", capsys)
        code = main(
            ["init", str(coop.root), "--treasurer", "ana", "--email", "ana@example.org",
             "--joined", "2025-01-01"]
        )  # fmt: skip
        assert code == 0
        coop.write("rules.yaml", RULES)
        coop.write("members.yaml", MEMBERS)
        coop.commit_all("the cooperative under test")
        commits = len(coop.log())
        for attempt in sequence:
            before = (coop.log(), files_of(coop.root))
            result = coop.run(
                "trade", attempt.payer, attempt.payee, "--date", attempt.day.isoformat(),
                "--", attempt.amount,
            )  # fmt: skip
            if result.code == 0:
                commits += 1
                assert coop.log()[0].startswith(f"trade: {attempt.payer} → {attempt.payee} ")
            else:
                assert result.code == 1 and result.err.startswith("error: "), result.text
                assert (coop.log(), files_of(coop.root)) == before
            assert len(coop.log()) == commits
            assert coop.status() == ""
        check = coop.run("check", "--json")
        assert check.code == 0, check.text
        balances = coop.run("balances", "--json")
        assert '"total": "0.00"' in balances.out
