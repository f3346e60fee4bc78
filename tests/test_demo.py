"""`coopledger demo`: a synthetic cooperative, the same for the same seed, valid."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from beancount.parser import parser
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.founding.demo import DemoSpec, demo_files
from coopledger.model.invoices import read_invoices
from coopledger.model.journal import trades_of
from coopledger.model.limits import ceiling_at, floor_at
from coopledger.model.members import parse_members
from coopledger.model.rules import parse_rules
from coopledger.validation.checks import check_ledger, daily_balances
from tests.conftest import Coop

BEAN_CHECK = str(Path(sys.executable).parent / "bean-check")


def parsed(files: dict[str, str]) -> list[data.Directive]:
    entries: list[data.Directive] = []
    for name, text in files.items():
        if name.startswith("journal/20"):
            found, errors, _ = parser.parse_string(text, report_filename=name)
            assert not errors, errors
            entries.extend(found)
    return data.sorted(entries)


def test_the_same_seed_gives_the_same_cooperative_and_another_seed_another() -> None:
    spec = DemoSpec(members=30, months=3, trades=500, seed=42)

    first, again = dict(demo_files(spec)), dict(demo_files(spec))
    other = dict(demo_files(DemoSpec(members=30, months=3, trades=500, seed=43)))

    assert first == again
    assert first["members.yaml"] != other["members.yaml"]


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    members=st.integers(2, 40),
    months=st.integers(1, 4),
    trades=st.integers(0, 400),
    seed=st.integers(0, 2**32),
)
def test_every_demo_is_valid_sums_to_zero_and_keeps_every_limit(
    members: int, months: int, trades: int, seed: int
) -> None:
    spec = DemoSpec(members=members, months=months, trades=trades, seed=seed)
    files = dict(demo_files(spec))
    rules, _ = parse_rules(files["rules.yaml"])
    assert rules is not None
    roster, _ = parse_members(files["members.yaml"], rules)
    assert roster is not None and len(roster) == members
    entries = parsed(files)

    assert check_ledger(entries, roster, rules, "") == []
    recorded = list(trades_of(entries))
    assert len(recorded) == trades
    assert all(spec.start <= t.date <= spec.until for t in recorded)
    history = daily_balances(entries)
    assert sum((s[-1].closing for s in history.values()), Decimal(0)) == 0
    for member_id, series in history.items():
        member = roster.by_id[member_id]
        for point in series:
            floor = floor_at(member, rules, point.date)
            ceiling = ceiling_at(member, rules, point.date)
            assert floor is not None and ceiling is not None
            assert floor <= point.closing <= ceiling, (member_id, point)


def test_members_are_persons_and_businesses_with_french_names_and_skewed_activity() -> None:
    spec = DemoSpec(members=200, months=6, trades=5000, seed=5)
    files = dict(demo_files(spec))
    rules, _ = parse_rules(files["rules.yaml"])
    roster, _ = parse_members(files["members.yaml"], rules)
    assert roster is not None
    recorded = list(trades_of(parsed(files)))

    kinds = Counter(m.kind for m in roster)
    assert kinds["business"] >= 20 and kinds["person"] >= 150
    assert any(not m.name.isascii() for m in roster)  # Hélène, Chloé, Écluses...
    assert roster.members[0].id == "claire" and roster.members[0].roles == ("treasurer",)
    assert any(m.joined > spec.start for m in roster)  # some join during the period
    assert len({t.memo for t in recorded}) > 30
    assert any(t.memo.endswith(", novembre") for t in recorded)
    assert {t.category for t in recorded} - {None} <= set(rules.categories)
    activity = Counter(t.payer for t in recorded) + Counter(t.payee for t in recorded)
    busiest = sum(count for _, count in activity.most_common(20))  # the top 10%
    assert busiest > 0.3 * sum(activity.values())


def test_invoices_are_open_valid_and_leave_the_trades_as_they_were() -> None:
    without = dict(demo_files(DemoSpec(members=20, months=2, trades=300, seed=3)))
    files = dict(demo_files(DemoSpec(members=20, months=2, trades=300, invoices=60, seed=3)))
    rules, _ = parse_rules(files["rules.yaml"])
    assert rules is not None
    roster, _ = parse_members(files["members.yaml"], rules)
    assert roster is not None
    entries = parsed(files)

    assert check_ledger(entries, roster, rules, "") == []
    obligations = read_invoices(entries)
    assert len(obligations.invoices) == 60
    assert all(i.is_open and i.debtor != i.creditor for i in obligations.invoices.values())
    assert trade_facts(entries) == trade_facts(parsed(without))


def trade_facts(entries: list[data.Directive]) -> list[tuple[object, ...]]:
    """Every trade without where it stands (an invoice in the same file moves lines)."""
    return sorted(
        (t.trade_id, t.date, t.payer, t.payee, t.amount, t.memo) for t in trades_of(entries)
    )


def test_demo_creates_a_repository_with_one_commit_by_the_treasurer(
    coop: Coop, tmp_path: Path
) -> None:
    target = tmp_path / "playground"

    result = coop.run(
        "demo", str(target), "--members", "12", "--months", "2", "--trades", "150", "--seed", "9"
    )

    assert result.code == 0, result.text
    assert "12 members, 150 trades, 0 invoices from 2026-10-01 to 2026-11-20" in result.out
    demo = Coop(target, coop.capsys)
    assert demo.log() == [
        "demo: SEL du Canal, 12 members, 150 trades, 0 invoices from 2026-10-01 to 2026-11-20"
        " (seed 9)"
    ]
    assert demo.git("log", "--format=%an <%ae>").strip() == "Claire Petit <claire@example.org>"
    assert demo.status() == ""
    checked = demo.run("check")
    assert checked.code == 0, checked.text
    assert "ok: 12 members, 150 trades, balances sum to 0.00 SEL" in checked.out
    bean = subprocess.run(
        [BEAN_CHECK, str(target / "journal/main.beancount")], capture_output=True, text=True
    )
    assert bean.returncode == 0, bean.stdout + bean.stderr
    assert dict(demo_files(DemoSpec(members=12, months=2, trades=150, seed=9)))[
        "members.yaml"
    ] == demo.read("members.yaml")


def test_a_trade_in_the_demo_works_as_in_any_cooperative(coop: Coop, tmp_path: Path) -> None:
    target = tmp_path / "playground"
    assert coop.run("demo", str(target), "--members", "5", "--trades", "10").code == 0
    demo = Coop(target, coop.capsys)

    result = demo.run(
        "trade", "claire", demo_member(demo), "1", "--date", datetime.date(2026, 11, 21).isoformat()
    )

    assert result.code == 0, result.text
    assert len(demo.log()) == 2


def demo_member(demo: Coop) -> str:
    text = demo.read("members.yaml")
    ids = [line.split(": ")[1] for line in text.splitlines() if line.startswith("  - id: ")]
    return ids[1]


def test_demo_refuses_a_folder_that_is_not_empty(coop: Coop, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")

    result = coop.run("demo", str(target))

    assert result.code == 1
    assert f"error: {target} is not an empty folder" in result.err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_demo_needs_two_members(coop: Coop, tmp_path: Path) -> None:
    result = coop.run("demo", str(tmp_path / "alone"), "--members", "1")

    assert result.code == 2
    assert "--members" in result.err
    assert not (tmp_path / "alone").exists()


def test_the_demos_unit_has_a_french_plural() -> None:
    """French lines say "1 234,50 grains de sel": the demo's rules.yaml gives the plural."""
    files = dict(demo_files(DemoSpec(members=4, months=1, trades=10)))
    rules, problems = parse_rules(files["rules.yaml"])

    assert not problems and rules is not None
    assert (rules.currency_name, rules.currency_plural) == ("grain de sel", "grains de sel")
    assert "currency_plural: grains de sel" in Path("rules.yaml").read_text(encoding="utf-8")
