"""`coopledger report`: every figure checked against values computed here from the
list of trades, and against bean-query on the same journal; golden files for the
table and Markdown output (regenerate with UPDATE_GOLDEN=1, never by hand)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import beanquery
import pytest
from beancount.parser.parser import parse_string
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.cli import main
from coopledger.cli.render_report import bar
from coopledger.model.journal import trades_of
from coopledger.model.members import Roster, parse_members
from coopledger.model.rules import Rules, parse_rules, render_rules
from coopledger.plans.csvio import read_trade_rows, to_csv, trades_table
from coopledger.reporting.reports import Month, monthly_report, statement
from tests.conftest import Builds, Coop, assert_golden

GOLDEN = Path(__file__).parent / "golden"

# (date, payer, payee, amount, memo, category): written by hand in the journal
TRADES = [
    ("2026-08-12", "alice", "bob", "10.00", "couture", "services"),
    ("2026-10-05", "alice", "fournil", "40.00", "pain, octobre", "alimentation"),
    ("2026-10-20", "bob", "alice", "25.00", "jardinage", "services"),
    ("2026-11-02", "alice", "fournil", "60.00", "pain, novembre", "alimentation"),
    ("2026-11-03", "fournil", "bob", "100.00", "livraisons", None),
    ("2026-11-15", "alice", "bob", "380.50", "déménagement", "services"),
    ("2026-11-28", "bob", "fournil", "20.00", "brioches", "alimentation"),
]
MEMBERS = ["tresa", "alice", "bob", "fournil", "dan", "carol"]
LIMITS = {  # member: (floor, ceiling)
    "tresa": ("-500.00", "1000.00"),
    "alice": ("-500.00", "1000.00"),
    "bob": ("-500.00", "1000.00"),
    "fournil": ("-2000.00", "5000.00"),
    "dan": ("-500.00", "1000.00"),
    "carol": ("-500.00", "1000.00"),
}


def account(member: str) -> str:
    return "Assets:Members:" + member[0].upper() + member[1:]


def entry_text(
    date: str, payer: str, payee: str, amount: str, memo: str, category: str | None
) -> str:
    lines = [f'{date} * "{memo}"']
    if category:
        lines.append(f'  category: "{category}"')
    lines.append(f"  {account(payer)}  -{amount} SEL")
    lines.append(f"  {account(payee)}  {amount} SEL")
    return "\n".join(lines) + "\n\n"


def build_known(coop: Coop) -> Coop:
    """The `coop` fixture plus dan (leaves 2026-11-20), carol (joins 2026-11-10),
    three categories in rules.yaml and the TRADES above written by hand."""
    assert coop.run("member", "add", "dan", "--name", "Dan", "--joined", "2024-01-01").code == 0
    assert coop.run("member", "leave", "dan", "--date", "2026-11-20").code == 0
    assert coop.run("member", "add", "carol", "--name", "Carol", "--joined", "2026-11-10").code == 0
    rules = coop.read("rules.yaml").replace(
        "categories: []", "categories: [alimentation, services, jardinage]"
    )
    coop.write("rules.yaml", rules)
    for trade in TRADES:
        date, payer = trade[0], trade[1]
        coop.append(f"journal/{date[:4]}/{date[5:7]}/{payer}.beancount", entry_text(*trade))
    coop.commit_all("trades of the autumn")
    assert coop.run("check").code == 0, coop.run("check").text
    return coop


@pytest.fixture
def known(builds: Builds, coop: Coop) -> Coop:
    return builds.copy("known", coop, build_known)


def expected_balances(until: str, since: str = "0000") -> dict[str, Decimal]:
    result: dict[str, Decimal] = defaultdict(Decimal)
    for date, payer, payee, amount, *_ in TRADES:
        if since <= date <= until:
            result[payer] -= Decimal(amount)
            result[payee] += Decimal(amount)
    return result


def report_json(coop: Coop, *args: str) -> dict:  # type: ignore[type-arg]
    result = coop.run("report", *args, "--format", "json")
    assert result.code == 0, result.text
    return json.loads(result.out)


def test_summary_figures_match_the_trades(known: Coop) -> None:
    report = report_json(known, "2026-11")

    november = [t for t in TRADES if t[0].startswith("2026-11")]
    october = [t for t in TRADES if t[0].startswith("2026-10")]
    volume = sum(Decimal(t[3]) for t in november)
    closing = expected_balances("2026-11-30")
    assert report["month"] == "2026-11"
    assert report["trades"] == len(november) == 4
    assert report["volume"] == f"{volume:.2f}" == "560.50"
    assert report["average"] == f"{volume / 4:.2f}" == "140.12"  # 140.125, half to even
    assert report["trading_members"] == 3  # alice, bob, fournil
    # tresa, alice, bob, fournil, dan (active until the 20th) and carol (from the 10th)
    assert report["active_members"] == 6
    assert report["joined"] == ["carol"]
    assert report["left"] == ["dan"]
    negative = -sum(b for b in closing.values() if b < 0)
    positive = sum(b for b in closing.values() if b > 0)
    assert report["credit_in_use"] == f"{negative:.2f}" == "465.50"
    assert report["velocity"] == f"{(volume / positive).quantize(Decimal('0.01'))}" == "1.20"
    assert report["previous"]["trades"] == len(october) == 2
    assert report["previous"]["volume"] == "65.00"
    assert report["changes"]["trades"] == "2"
    assert report["changes"]["volume"] == "495.50"
    assert report["changes"]["joined"] == "1"


def test_member_rows_match_the_trades(known: Coop) -> None:
    report = report_json(known, "2026-11")

    opening = expected_balances("2026-10-31")
    closing = expected_balances("2026-11-30")
    members = report["members"]
    assert list(members) == MEMBERS
    for member in MEMBERS:
        paid = sum(
            (Decimal(t[3]) for t in TRADES if t[0].startswith("2026-11") and t[1] == member),
            Decimal(0),
        )
        received = sum(
            (Decimal(t[3]) for t in TRADES if t[0].startswith("2026-11") and t[2] == member),
            Decimal(0),
        )
        row = members[member]
        assert row["opening"] == f"{opening[member]:.2f}", member
        assert row["paid"] == f"{paid:.2f}", member
        assert row["received"] == f"{received:.2f}", member
        assert row["closing"] == f"{closing[member]:.2f}", member
        assert Decimal(row["opening"]) - paid + received == Decimal(row["closing"])
        assert (row["floor"], row["ceiling"]) == LIMITS[member]
    assert members["alice"]["closing"] == "-465.50"
    assert members["alice"]["limit_use"] == "93"  # 465.50 of 500
    assert members["alice"]["near_limit"] == "floor"
    assert members["bob"]["limit_use"] == "45"  # 445.50 of 1000
    assert members["bob"]["near_limit"] is None
    # tresa never traded; dan left; carol joined this month
    assert [m for m, row in members.items() if row["dormant"]] == ["tresa"]
    assert members["dan"]["status"] == "left"


def test_categories_and_trends(known: Coop) -> None:
    report = report_json(known, "2026-11")

    assert report["categories"] == [
        {"category": "services", "trades": 1, "volume": "380.50", "share": "68"},
        {"category": "alimentation", "trades": 2, "volume": "80.00", "share": "14"},
        {"category": "jardinage", "trades": 0, "volume": "0.00", "share": "0"},
        {"category": None, "trades": 1, "volume": "100.00", "share": "18"},
    ]
    trends = report["trends"]
    months = [p["month"] for p in trends]
    assert (len(months), months[0], months[-1]) == (12, "2025-12", "2026-11")
    by_month = {p["month"]: (p["trades"], p["volume"], p["trading_members"]) for p in trends}
    assert by_month["2026-08"] == (1, "10.00", 2)
    assert by_month["2026-09"] == (0, "0.00", 0)
    assert by_month["2026-10"] == (2, "65.00", 3)
    assert by_month["2026-11"] == (4, "560.50", 3)


def bean_query(coop: Coop, query: str) -> list[tuple]:  # type: ignore[type-arg]
    connection = beanquery.connect("beancount:" + str(coop.root / "journal/main.beancount"))
    cursor = connection.execute(query)
    return list(cursor.fetchall())


def inventory_number(rows: list[tuple]) -> Decimal:  # type: ignore[type-arg]
    """The SEL amount of a one-cell bean-query result (zero when no posting matched)."""
    if not rows or rows[0][0] is None:
        return Decimal(0)
    position = rows[0][0].get_currency_units("SEL")
    return Decimal(position.number)


@pytest.mark.slow
def test_figures_agree_with_bean_query(known: Coop) -> None:
    report = report_json(known, "2026-11")

    for member, row in report["members"].items():
        where = f"account = '{account(member)}'"
        moved = bean_query(
            known, f"SELECT sum(position) WHERE {where} AND year = 2026 AND month = 11"
        )
        received = bean_query(
            known,
            f"SELECT sum(position) WHERE {where} AND year = 2026 AND month = 11 AND number > 0",
        )
        closing = bean_query(known, f"SELECT sum(position) WHERE {where} AND date <= 2026-11-30")
        assert inventory_number(moved) == Decimal(row["received"]) - Decimal(row["paid"])
        assert inventory_number(received) == Decimal(row["received"])
        assert inventory_number(closing) == Decimal(row["closing"])
    volume = bean_query(
        known,
        "SELECT sum(position) WHERE account ~ '^Assets:Members:' AND number > 0 "
        "AND year = 2026 AND month = 11",
    )
    assert inventory_number(volume) == Decimal(report["volume"])
    count = bean_query(
        known,
        "SELECT count(position) WHERE account ~ '^Assets:Members:' AND number > 0 "
        "AND year = 2026 AND month = 11",
    )
    assert count[0][0] == report["trades"]


def golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


def test_table_output_matches_the_golden_file(known: Coop) -> None:
    result = known.run("report", "2026-11")

    assert result.code == 0, result.text
    assert "\x1b[" not in result.out
    assert all(len(line) <= 100 for line in result.out.splitlines())
    golden("report-2026-11.txt", result.out)


def test_markdown_output_matches_the_golden_file(known: Coop) -> None:
    result = known.run("report", "2026-11", "--format", "markdown")

    assert result.code == 0, result.text
    assert "| alice | Alice Martin | -25.00 | 440.50 | 0.00 | -465.50 |" in result.out
    golden("report-2026-11.md", result.out)


def test_csv_output_has_one_row_per_member(known: Coop) -> None:
    result = known.run("report", "2026-11", "--format", "csv")

    assert result.code == 0, result.text
    lines = result.out.splitlines()
    assert lines[0].startswith("month,member,name,status,opening,paid,received,closing")
    assert len(lines) == 1 + len(MEMBERS)
    assert (
        lines[2]
        == "2026-11,alice,Alice Martin,active,-25.00,440.50,0.00,-465.50,-500.00,1000.00,93,floor,"
    )


def test_default_month_is_the_last_complete_one(known: Coop) -> None:
    assert report_json(known)["month"] == "2026-10"  # today is 2026-11-25 (conftest)
    on_the_first = known.run("--today", "2026-12-01", "report", "--format", "json")
    assert json.loads(on_the_first.out)["month"] == "2026-11"


def test_report_from_a_past_revision(known: Coop) -> None:
    before = known.git("rev-parse", "HEAD").strip()
    assert known.run("trade", "alice", "bob", "5", "--date", "2026-11-29").code == 0
    assert report_json(known, "2026-11")["trades"] == 5

    past = report_json(known, "2026-11", "--rev", before)

    assert past["trades"] == 4
    assert past["volume"] == "560.50"
    assert report_json(known, "2026-11", "--rev", "HEAD~1") == past
    assert known.status() == ""
    assert "coopledger-rev" not in known.git("worktree", "list")


def test_unknown_revision_is_an_error(known: Coop) -> None:
    result = known.run("report", "2026-11", "--rev", "no-such-branch")

    assert result.code == 1
    assert "no-such-branch" in result.err


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026/11", "novembre"])
def test_bad_month_format_is_refused(known: Coop, month: str) -> None:
    result = known.run("report", month)

    assert result.code == 1
    assert f"'{month}' is not a month" in result.err
    assert "YYYY-MM" in result.err
    assert result.out == ""


def test_bad_format_is_refused(known: Coop) -> None:
    result = known.run("report", "2026-11", "--format", "pdf")

    assert result.code == 1
    assert "'pdf' is not a choice for --format" in result.err


def test_an_empty_month_reports_zeros(known: Coop) -> None:
    report = report_json(known, "2026-09")

    assert report["trades"] == 0
    assert report["volume"] == "0.00"
    assert report["average"] is None
    assert report["velocity"] == "0.00"  # no trade, but positive balances exist
    assert report["members"]["alice"]["opening"] == report["members"]["alice"]["closing"]


def test_bars_are_proportional() -> None:
    assert bar(Decimal(10), Decimal(10), 4) == "████"
    assert bar(Decimal(5), Decimal(10), 4) == "██"
    assert bar(Decimal(1), Decimal(16), 4) == "▎"  # 2 eighths
    assert bar(Decimal(0), Decimal(10), 4) == ""


# ---------------------------------------------------------------- docs/reports.md runs

DOC = Path(__file__).parent.parent / "docs" / "reports.md"


def doc_steps(text: str) -> list[tuple[str, str, str]]:
    """("file", name, content) for ```csv file=NAME blocks, ("run", command, expected
    output) for each `$ ` line of ```console blocks, in the order of the document."""
    steps: list[tuple[str, str, str]] = []
    blocks = re.findall(r"^```(\w+)([^\n]*)\n(.*?)^```$", text, flags=re.M | re.S)
    for language, info, body in blocks:
        if "file=" in info:
            steps.append(("file", info.split("file=")[1].strip(), body))
        elif language == "console":
            for chunk in re.split(r"^\$ ", body, flags=re.M)[1:]:
                command, _, expected = chunk.partition("\n")
                steps.append(("run", command, expected))
    return steps


def output_pattern(expected: str) -> re.Pattern[str]:
    """`...` alone on a line stands for any lines; inside a line, for any text."""
    parts = []
    for line in expected.splitlines():
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(p) for p in line.split("...")) + r"\n")
    return re.compile("".join(parts), re.S)


def test_the_examples_of_docs_reports_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = doc_steps(DOC.read_text(encoding="utf-8"))
    assert sum(1 for kind, *_ in steps if kind == "run") >= 10
    monkeypatch.chdir(tmp_path)
    for kind, first, second in steps:
        if kind == "file":
            Path(first).write_text(second, encoding="utf-8")
            continue
        words = shlex.split(first)
        if words[0] == "cd":
            monkeypatch.chdir(words[1])
            continue
        if words[0] == "git":  # the treasurer's machine: git set up as claire
            subprocess.run(words, check=True)
            continue
        assert words[0] == "coopledger", first
        capsys.readouterr()
        code = main(words[1:])
        captured = capsys.readouterr()
        output = "\n".join(line.rstrip() for line in (captured.out + captured.err).splitlines())
        assert code == (1 if "error:" in second else 0), (first, output)
        assert output_pattern(second).fullmatch(output + "\n"), (first, output)


# ---------------------------------------------------------------- invariants


def _ledger(trades: list[tuple[int, int, int, int, int]]) -> tuple[list, Roster, Rules]:  # type: ignore[type-arg]
    """Trades (month, day, payer index, payee index, cents) as parsed beancount entries."""
    names = ["ana", "bo", "cy", "dee"]
    rules, _ = parse_rules(render_rules("Test", "SEL", "SEL"))
    members = "members:\n" + "".join(
        f"  - {{id: {n}, name: {n}, kind: person, joined: 2025-01-01}}\n" for n in names
    )
    roster, _ = parse_members(members, rules)
    assert rules is not None and roster is not None
    text = "2025-01-01 commodity SEL\n" + "".join(f"2025-01-01 open {account(n)}\n" for n in names)
    for month, day, payer, payee, cents in trades:
        amount = f"{Decimal(cents) / 100:.2f}"
        text += entry_text(
            f"2026-{month:02d}-{day:02d}", names[payer], names[payee], amount, "x", None
        )
    entries, errors, _ = parse_string(text)
    assert not errors
    return entries, roster, rules


trade_lists = st.lists(
    st.tuples(
        st.integers(1, 12), st.integers(1, 28), st.integers(0, 3), st.integers(0, 3),
        st.integers(1, 100_000),
    ).filter(lambda t: t[2] != t[3]),
    max_size=30,
)  # fmt: skip


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(trade_lists, st.integers(1, 12))
def test_report_figures_always_add_up(
    trades: list[tuple[int, int, int, int, int]], month: int
) -> None:
    entries, roster, rules = _ledger(trades)

    report = monthly_report(entries, roster, rules, Month(2026, month))

    rows = report.members
    assert all(r.opening - r.paid + r.received == r.closing for r in rows)
    assert sum(r.closing for r in rows) == 0
    in_month = [t for t in trades if t[0] == month]
    volume = sum(Decimal(t[4]) / 100 for t in in_month)
    assert report.summary.volume == volume == sum(r.paid for r in rows)
    assert report.summary.trades == len(in_month)
    assert report.trends[-1].volume == volume
    assert report.summary.credit_in_use == sum(-r.closing for r in rows if r.closing < 0)
    for row in rows:
        sheet = statement(entries, row.member, Month(2026, month).first, Month(2026, month).last)
        assert (sheet.opening, sheet.closing) == (row.opening, row.closing)
        assert (sheet.paid, sheet.received) == (row.paid, row.received)
        assert all(
            before + line.amount == line.balance
            for before, line in zip(
                [sheet.opening, *(ln.balance for ln in sheet.lines)], sheet.lines, strict=False
            )
        )


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(trade_lists)
def test_exported_trades_read_back_as_the_same_trades(
    trades: list[tuple[int, int, int, int, int]],
) -> None:
    entries, roster, rules = _ledger(trades)
    recorded = list(trades_of(entries))

    text = to_csv(trades_table(recorded, rules.decimals))
    read, problems = read_trade_rows(text, "t.csv", rules, roster)

    assert problems == [] if recorded else [p.code for p in problems] == ["csv-no-rows"]
    key = lambda t: (t.date, t.payer, t.payee, t.amount, t.memo)  # noqa: E731
    assert sorted(map(key, (t for _, t in read))) == sorted(map(key, recorded))
