"""Multilateral clearing: golden cases, properties against networkx, and `coopledger clear`."""

from __future__ import annotations

import datetime
import json
import random
import subprocess
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.setoff.clearing import (
    Clearing,
    Headroom,
    Obligation,
    parse_minor,
    read_invoice_bytes,
    solve_setoff,
    solve_with_credit,
)
from tests.conftest import Builds, Coop

# ---------------------------------------------------------------- golden cases


def cleared_by_ref(result: Clearing) -> dict[str, int]:
    return {o.ref: c for o, c in zip(result.obligations, result.cleared, strict=True)}


def test_a_triangle_clears_its_smallest_side_on_every_side() -> None:
    result = solve_setoff(
        [
            Obligation("ab", "a", "b", 100),
            Obligation("bc", "b", "c", 70),
            Obligation("ca", "c", "a", 40),
        ]
    )

    assert cleared_by_ref(result) == {"ab": 40, "bc": 40, "ca": 40}
    assert (result.total_before, result.total_cleared, result.total_after) == (210, 120, 90)
    assert result.upper_bound == 210 - 60  # a owes 60 net, b is owed 30, c is owed 30


def test_two_overlapping_cycles_clear_both_through_the_shared_arc() -> None:
    # cycle 1: a→b→c→a; cycle 2: a→b→d→a; they share a→b (100), enough for both
    result = solve_setoff(
        [
            Obligation("ab", "a", "b", 100),
            Obligation("bc", "b", "c", 30),
            Obligation("ca", "c", "a", 30),
            Obligation("bd", "b", "d", 50),
            Obligation("da", "d", "a", 80),
        ]
    )

    assert cleared_by_ref(result) == {"ab": 80, "bc": 30, "ca": 30, "bd": 50, "da": 50}
    assert result.total_cleared == 240
    # d must pay its net 30 through a, so 50 remains: 10 more than the bound's 40 (290 - 30 = 260)
    assert (result.total_after, result.upper_bound) == (50, 260)


def test_a_chain_clears_nothing_though_the_bound_says_it_might() -> None:
    result = solve_setoff([Obligation("ab", "a", "b", 100), Obligation("bc", "b", "c", 100)])

    assert result.cleared == (0, 0)
    assert result.total_after == 200
    assert result.upper_bound == 100  # a bound, not a promise: b is only a go-between


def test_a_pairs_share_goes_to_its_oldest_due_invoice_first_then_by_ref() -> None:
    day = datetime.date
    result = solve_setoff(
        [
            Obligation("late", "a", "b", 50, day(2026, 12, 31)),
            Obligation("no-due", "a", "b", 50),
            Obligation("early-2", "a", "b", 20, day(2026, 11, 30)),
            Obligation("early-1", "a", "b", 20, day(2026, 11, 30)),
            Obligation("back", "b", "a", 60),
        ]
    )

    assert cleared_by_ref(result) == {
        "early-1": 20,
        "early-2": 20,
        "late": 20,
        "no-due": 0,
        "back": 60,
    }


# ---------------------------------------------------------------- properties

MEMBERS = ["a", "b", "c", "d", "e", "f"]

invoice_lists = st.lists(
    st.tuples(st.sampled_from(MEMBERS), st.sampled_from(MEMBERS), st.integers(1, 10_000)).filter(
        lambda t: t[0] != t[1]
    ),
    max_size=25,
).map(lambda rows: [Obligation(f"r{i}", d, c, amount) for i, (d, c, amount) in enumerate(rows)])


def networkx_least_remaining(
    obligations: list[Obligation],
    can_pay: dict[str, int] | None = None,
    can_receive: dict[str, int] | None = None,
) -> int:
    """The independent oracle: the least debt that must remain (networkx network simplex)."""
    graph = nx.DiGraph()
    demand: dict[str, int] = defaultdict(int)
    capacity: dict[tuple[str, str], int] = defaultdict(int)
    for o in obligations:
        capacity[o.debtor, o.creditor] += o.amount
        demand[o.debtor] -= o.amount  # networkx: negative demand is a supply
        demand[o.creditor] += o.amount
    for node in MEMBERS:
        graph.add_node(node, demand=demand[node])
    for (tail, head), cap in capacity.items():
        graph.add_edge(tail, head, capacity=cap, weight=1)
    if can_pay is not None and can_receive is not None:
        graph.add_node("hub", demand=0)
        for node in MEMBERS:
            graph.add_edge(node, "hub", capacity=can_pay.get(node, 0), weight=0)
            graph.add_edge("hub", node, capacity=can_receive.get(node, 0), weight=0)
    return int(nx.min_cost_flow_cost(graph))


def net_changes(result: Clearing) -> dict[str, int]:
    change: dict[str, int] = defaultdict(int)
    for o, cleared in zip(result.obligations, result.cleared, strict=True):
        change[o.debtor] += cleared
        change[o.creditor] -= cleared
    return change


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(invoice_lists)
def test_the_set_off_is_optimal_bounded_and_keeps_net_positions(
    obligations: list[Obligation],
) -> None:
    result = solve_setoff(obligations)

    assert result.total_cleared == result.total_before - networkx_least_remaining(obligations)
    assert result.total_cleared <= result.upper_bound
    assert all(0 <= c <= o.amount for o, c in zip(obligations, result.cleared, strict=True))
    assert all(v == 0 for v in net_changes(result).values())
    assert all(row.as_debtor == row.as_creditor for row in result.members())


@settings(max_examples=100, deadline=None)
@given(invoice_lists, st.randoms(use_true_random=False))
def test_the_same_invoices_in_any_order_clear_the_same_way(
    obligations: list[Obligation], shuffler: random.Random
) -> None:
    shuffled = list(obligations)
    shuffler.shuffle(shuffled)

    once, again, reordered = (
        solve_setoff(obligations),
        solve_setoff(list(obligations)),
        solve_setoff(shuffled),
    )

    assert once == again
    assert cleared_by_ref(reordered) == cleared_by_ref(once)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    invoice_lists,
    st.dictionaries(st.sampled_from(MEMBERS), st.integers(0, 5_000)),
    st.dictionaries(st.sampled_from(MEMBERS), st.integers(0, 5_000)),
)
def test_with_credit_discharges_the_most_within_every_limit(
    obligations: list[Obligation], can_pay: dict[str, int], can_receive: dict[str, int]
) -> None:
    headroom = {m: Headroom(can_pay.get(m, 0), can_receive.get(m, 0)) for m in MEMBERS}
    result = solve_with_credit(obligations, headroom)
    plain = solve_setoff(obligations)

    least = networkx_least_remaining(obligations, can_pay, can_receive)
    assert result.total_after == least
    assert result.total_cleared + result.total_paid >= plain.total_cleared
    for o, cleared, paid in zip(obligations, result.cleared, result.paid, strict=True):
        assert cleared >= 0 and paid >= 0 and cleared + paid <= o.amount
    assert all(v == 0 for v in net_changes(result).values())  # the set-off part alone
    for row in result.members():
        currency_change = row.received - row.paid
        assert -can_pay.get(row.member, 0) <= currency_change <= can_receive.get(row.member, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", (1200, None)),
        ("12.5", (1250, None)),
        ("12,50", (1250, None)),
        ("12.500", (1250, None)),
        ("0", (None, "amount-not-positive")),
        ("-3", (None, "amount-not-positive")),
        ("1.234", (None, "amount-too-precise")),
        ("douze", (None, "amount-not-a-number")),
        ("1e3", (None, "amount-not-a-number")),
        ("", (None, "amount-not-a-number")),
    ],
)
def test_csv_amounts_are_read_exactly_in_minor_units(
    text: str, expected: tuple[int | None, str | None]
) -> None:
    assert parse_minor(text, 2) == expected


# ---------------------------------------------------------------- coopledger clear --invoices

TRIANGLE_CSV = """debtor,creditor,amount,ref,due
acme,bolt,100,INV-1,2026-12-01
bolt,cogs,70,,
cogs,acme,40.50,INV-3,
"""


def test_clear_invoices_from_csv_prints_the_json_report(coop: Coop, tmp_path: Path) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text(TRIANGLE_CSV, encoding="utf-8")

    result = coop.run("clear", "--invoices", str(path), "--json")

    assert result.code == 0, result.text
    report = json.loads(result.out)
    assert (report["total_before"], report["cleared"], report["total_after"]) == (
        "210.50",
        "121.50",
        "89.00",
    )
    assert report["upper_bound"] == "151.00"
    assert report["members"]["bolt"]["as_debtor"] == report["members"]["bolt"]["as_creditor"]
    assert [(i["ref"], i["cleared"], i["remaining"]) for i in report["invoices"]] == [
        ("INV-1", "40.50", "59.50"),
        ("L3", "40.50", "29.50"),
        ("INV-3", "40.50", "0.00"),
    ]
    assert set(report["invoices"][0]) >= {
        "ref",
        "debtor",
        "creditor",
        "amount",
        "cleared",
        "remaining",
    }
    assert coop.run("clear", "--invoices", str(path), "--json").out == result.out
    assert coop.status() == ""


def test_clear_invoices_reports_every_row_in_error_by_line_and_computes_nothing(
    coop: Coop, tmp_path: Path
) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text(
        "debtor,creditor,amount,ref\n"
        "acme,bolt,100,A\n"
        "acme,acme,5,B\n"
        "bolt,cogs,-3,C\n"
        "cogs,acme,1.234,D\n"
        "cogs,acme,12\n"
        "cogs,bolt,abc,E\n"
        "bolt,acme,1,A\n",
        encoding="utf-8",
    )

    result = coop.run("clear", "--invoices", str(path))

    assert result.code == 1
    assert result.out == ""
    assert "this file has rows in error, so nothing was computed" in result.err
    assert "{file}" not in result.err
    for line, words in [
        (3, "'acme' owes itself"),
        (4, "the amount must be more than zero"),
        (5, "1.234 has more than 2 decimal places"),
        (6, "the row has 3 fields instead of 4"),
        (7, "'abc' is not an amount"),
        (8, "the reference 'A' is already on line 2"),
    ]:
        assert f"{path}:{line}: error: {words}" in result.err


def test_clear_invoices_needs_a_header(coop: Coop, tmp_path: Path) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text("acme,bolt,100\n", encoding="utf-8")

    result = coop.run("clear", "--invoices", str(path))

    assert result.code == 1
    assert f"{path}:1: error: the header row is 'acme,bolt,100'" in result.err


def test_clear_invoices_cannot_apply_or_use_credit(coop: Coop, tmp_path: Path) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text(TRIANGLE_CSV, encoding="utf-8")

    assert (
        "--apply writes to the journal" in coop.run("clear", "--invoices", str(path), "--apply").err
    )
    assert (
        "--with-credit uses members' balances"
        in coop.run("clear", "--invoices", str(path), "--with-credit").err
    )


# ---------------------------------------------------------------- coopledger clear on the journal


@pytest.fixture
def invoiced(builds: Builds, coop: Coop) -> Coop:
    """`coop` after `triangle` (`Builds.after`)."""
    return builds.after("triangle-invoiced", coop, triangle)


def triangle(coop: Coop) -> None:
    for args in (
        ("alice", "bob", "100", "--ref", "A1", "--due", "2026-12-01"),
        ("bob", "fournil", "70", "--ref", "B1"),
        ("fournil", "alice", "40", "--ref", "F1"),
    ):
        result = coop.run("invoice", *args, "--date", "2026-11-03")
        assert result.code == 0, result.text


def test_clear_without_apply_writes_nothing(coop: Coop) -> None:
    triangle(coop)
    before = coop.log()

    result = coop.run("clear", "--date", "2026-11-30")

    assert result.code == 0, result.text
    assert "set off                 120.00  (57.1 %)" in result.out
    assert "Nothing was written" in result.out
    assert coop.log() == before and coop.status() == ""
    assert coop.run("clear", "--date", "2026-11-30").out == result.out


def test_clear_apply_writes_one_commit_that_check_and_bean_check_accept(invoiced: Coop) -> None:
    coop = invoiced
    before = coop.log()

    result = coop.run("clear", "--date", "2026-11-30", "--apply", "--json")

    assert result.code == 0, result.text
    report = json.loads(result.out)
    assert report["cleared"] == "120.00"
    assert len(coop.log()) == len(before) + 1
    assert coop.log()[0].startswith("clearing 2026-11-30-")
    assert coop.log()[0].endswith(": 120.00 SEL set off over 3 invoice(s)")
    assert coop.last_written().startswith("journal/2026/11/30/clearing.2026-11-30-")
    journal = coop.read(coop.last_written())
    assert journal.count("clears:") == 3 and 'solver: "ortools ' in journal
    assert coop.run("check").code == 0
    rows = json.loads(coop.run("invoices", "--json").out)
    assert [r["remaining"] for r in rows] == ["60.00", "30.00", "0.00"]
    again = coop.run("clear", "--date", "2026-11-30", "--apply")
    assert "Nothing to clear" in again.out and len(coop.log()) == len(before) + 1


def test_clear_apply_on_a_new_branch(invoiced: Coop) -> None:
    coop = invoiced

    result = coop.run("clear", "--date", "2026-11-30", "--apply", "--branch", "clearing-november")

    assert result.code == 0, result.text
    assert "on the new branch clearing-november" in result.out
    assert coop.git("branch", "--show-current").strip() == "clearing-november"
    assert coop.git("log", "-1", "--format=%s", "main").startswith("invoice F1")
    coop.run("invoice", "alice", "bob", "5", "--ref", "X1", "--date", "2026-11-04")
    coop.run("invoice", "bob", "alice", "5", "--ref", "X2", "--date", "2026-11-04")
    before = coop.log()
    refused = coop.run("clear", "--date", "2026-11-30", "--apply", "--branch", "clearing-november")
    assert refused.code == 1
    assert "the branch 'clearing-november' already exists" in refused.err
    assert coop.log() == before and coop.status() == ""
    bad = coop.run("clear", "--date", "2026-11-30", "--apply", "--branch", "a..b")
    assert "'a..b' cannot be a git branch name" in bad.err and coop.log() == before


def test_clear_branch_without_apply_is_refused_and_leaves_you_where_you_were(
    invoiced: Coop,
) -> None:
    coop = invoiced
    before = coop.log()

    result = coop.run("clear", "--date", "2026-11-30", "--branch", "clearing-november")

    assert result.code == 1
    assert result.err.startswith(
        "error: --branch clearing-november without --apply: a dry run writes nothing"
    )
    assert "add --apply to write the clearing" in result.err
    assert coop.git("branch", "--show-current").strip() == "main"
    assert "clearing-november" not in coop.git("branch", "--list")
    assert coop.log() == before and coop.status() == ""


def test_clear_with_credit_pays_the_rest_within_limits(invoiced: Coop) -> None:
    coop = invoiced
    coop.run("invoice", "bob", "alice", "600", "--ref", "B2", "--date", "2026-11-03")

    plain = json.loads(coop.run("clear", "--date", "2026-11-30", "--json").out)

    result = coop.run("clear", "--date", "2026-11-30", "--with-credit", "--apply", "--json")

    assert result.code == 0, result.text
    report = json.loads(result.out)
    assert report["cleared"] == plain["cleared"]  # set-off first, then payments
    assert coop.run("check").code == 0
    balances = json.loads(coop.run("balances", "--json", "--at", "2026-12-31").out)["balances"]
    assert all(-500 <= float(balances[m]) <= 1000 for m in ("alice", "bob"))
    assert report["paid"] != "0.00"
    assert float(report["total_after"]) == pytest.approx(
        float(report["total_before"]) - float(report["cleared"]) - float(report["paid"])
    )


# ---------------------------------------------------------------- docs/clearing.md runs

DOC = Path(__file__).resolve().parent.parent / "docs" / "clearing.md"


def doc_commands() -> list[tuple[str, list[str]]]:
    """Every `$ command` of the console blocks in docs/clearing.md, with the output shown."""
    commands: list[tuple[str, list[str]]] = []
    inside = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line == "```console"
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    return commands


def test_the_commands_of_docs_clearing_md_run_and_print_what_it_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import shlex

    from coopledger.cli import main
    from coopledger.setoff.clearing import SOLVER

    monkeypatch.chdir(tmp_path)
    commands = doc_commands()
    assert len(commands) > 10
    for command, shown in commands:
        words = shlex.split(command)
        if words[0] == "cd":
            monkeypatch.chdir(Path.cwd() / words[1])
            continue
        if words[0] == "git":  # the treasurer's machine: git set up as claire
            subprocess.run(words, check=True)
            continue
        assert words[0] == "coopledger"
        capsys.readouterr()
        code = main(words[1:])
        printed = capsys.readouterr()
        assert code == 0, (command, printed.out, printed.err)
        if shown:
            expected = [re.sub(r"ortools [0-9.]+", SOLVER, line).rstrip() for line in shown]
            assert [line.rstrip() for line in printed.out.splitlines()] == expected, command


# ---------------------------------------------------------------- large lists: same results, faster

dues = st.one_of(
    st.none(),
    st.sampled_from([datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date.max]),
)

dated_invoice_lists = st.lists(
    st.tuples(
        st.sampled_from(MEMBERS[:4]),
        st.sampled_from(MEMBERS[:4]),
        st.integers(1, 500),
        st.sampled_from(["x", "y", "z", "w"]),
        dues,
    ).filter(lambda t: t[0] != t[1]),
    max_size=30,
).map(
    lambda rows: [
        Obligation(f"{ref}{i % 3}-{i}", d, c, amount, due)
        for i, (d, c, amount, ref, due) in enumerate(rows)
    ]
)


@settings(max_examples=150, deadline=None)
@given(dated_invoice_lists)
def test_each_pairs_share_is_taken_oldest_due_first_then_by_ref(
    obligations: list[Obligation],
) -> None:
    result = solve_setoff(obligations)

    share: dict[tuple[str, str], int] = defaultdict(int)
    for o, cleared in zip(obligations, result.cleared, strict=True):
        share[o.debtor, o.creditor] += cleared
    order = sorted(
        range(len(obligations)),
        key=lambda i: (obligations[i].due or datetime.date.max, obligations[i].ref, i),
    )
    expected = [0] * len(obligations)
    for i in order:
        pair = (obligations[i].debtor, obligations[i].creditor)
        expected[i] = min(share[pair], obligations[i].amount)
        share[pair] -= expected[i]
    assert list(result.cleared) == expected


csv_cells = {
    "party": st.sampled_from(["acme", "bolt", " cogs", "dune ", "élan", "acme"]),
    "amount": st.sampled_from(
        ["12", "12.5", "0.01", "007.50", "12.500", " 3.20", "+4", "12,5", "1e3", "0", "-2", "1."]
    ),
    "ref": st.sampled_from(["", "", "A", "B", "C", "L3", "ref 9"]),
    "due": st.sampled_from(["", "2026-01-05", "20260105", "2026-1-5", "2025-12-31"]),
}


@st.composite
def invoice_csv_texts(draw: st.DrawFn) -> str:
    columns = draw(st.permutations(["debtor", "creditor", "amount", "ref", "due"]))
    columns = [c for c in columns if c in ("debtor", "creditor", "amount") or draw(st.booleans())]
    kinds = {"debtor": "party", "creditor": "party"}
    rows = [",".join(c.upper() if draw(st.booleans()) else c for c in columns)]
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.integers(0, 9)) == 0:
            rows.append(draw(st.sampled_from(["", "  ", "a,b"])))
            continue
        rows.append(",".join(draw(csv_cells[kinds.get(c, c)]) for c in columns))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(rows) + draw(st.sampled_from(["", newline]))


@settings(max_examples=300, deadline=None)
@given(invoice_csv_texts(), st.sampled_from([0, 2, 3]))
def test_a_whole_csv_file_is_read_as_row_by_row(text: str, decimals: int) -> None:
    import io

    from coopledger.setoff.clearing import InvoiceColumns, read_invoice_csv, read_invoice_text

    obligations, problems = read_invoice_csv(io.StringIO(text, newline=""), "f.csv", decimals)
    columns, found = read_invoice_text(text, "f.csv", decimals)

    assert found == problems
    if problems:
        assert columns is None
    else:
        assert columns is not None
        assert columns.obligations() == obligations
        same = InvoiceColumns.of(obligations)
        assert list(columns.names) == list(same.names)
        assert columns.due.tolist() == same.due.tolist()
    plain = read_invoice_bytes(text.encode("utf-8"), decimals)
    if plain is not None:  # read from the bytes: the same invoices, or not read at all
        assert not problems
        assert plain.obligations() == obligations
        assert list(plain.names) == sorted(
            {o.debtor for o in obligations} | {o.creditor for o in obligations}
        )


plain_cells = {
    "party": st.sampled_from(["acme", "bolt", "cogs", "a b", "acme-longer-than-eight", "z"]),
    "amount": st.sampled_from(["12", "12.5", "0.01", "007.50", "12.500", "+4", "1e3", "0", "1."]),
    "ref": st.sampled_from(["", "", "A", "B", "C", "L3", "ref 9", "a-reference-of-20"]),
    "due": st.sampled_from(["", "2026-01-05", "20260105", "2025-12-31", "2026-01-05"]),
}


@st.composite
def plain_csv_texts(draw: st.DrawFn) -> str:
    columns = draw(st.permutations(["debtor", "creditor", "amount", "ref", "due"]))
    columns = [c for c in columns if c in ("debtor", "creditor", "amount") or draw(st.booleans())]
    kinds = {"debtor": "party", "creditor": "party"}
    rows = [",".join(columns)]
    for _ in range(draw(st.integers(0, 12))):
        rows.append(",".join(draw(plain_cells[kinds.get(c, c)]) for c in columns))
    return "\n".join(rows) + draw(st.sampled_from(["", "\n"]))


@settings(max_examples=300, deadline=None)
@given(plain_csv_texts(), st.sampled_from([0, 2, 3]))
def test_a_plain_ascii_file_read_from_its_bytes_gives_the_same_invoices(
    text: str, decimals: int
) -> None:
    import io

    from coopledger.setoff.clearing import read_invoice_csv

    obligations, problems = read_invoice_csv(io.StringIO(text, newline=""), "f.csv", decimals)
    plain = read_invoice_bytes(text.encode("ascii"), decimals)

    if problems:
        assert plain is None
    elif plain is not None:
        assert plain.obligations() == obligations
        assert list(plain.refs) == [o.ref for o in obligations]


def test_a_plain_file_is_read_from_its_bytes_and_any_other_is_not() -> None:
    plain = b"debtor,creditor,amount,ref,due\nacme,bolt,12.5,A,2026-01-05\nbolt,acme,3,,\n"
    columns = read_invoice_bytes(plain, 2)
    assert columns is not None
    assert columns.obligations() == [
        Obligation("A", "acme", "bolt", 1250, datetime.date(2026, 1, 5)),
        Obligation("L3", "bolt", "acme", 300, None),
    ]
    for other in (
        plain.replace(b"\n", b"\r\n"),  # CRLF
        plain.replace(b"acme", b"\xc3\xa9lan"),  # not ASCII
        plain.replace(b"A,", b'"A",'),  # quoted
        plain.replace(b"bolt,acme", b"bolt, acme"),  # a field to strip
        plain + b"\n",  # a blank line
        plain + b"acme,acme,1,B,\n",  # a row in error
    ):
        assert read_invoice_bytes(other, 2) is None, other


@settings(max_examples=100, deadline=None)
@given(
    dated_invoice_lists,
    st.dictionaries(st.sampled_from(MEMBERS), st.integers(0, 300)),
    st.sampled_from([0, 2]),
)
def test_the_json_report_holds_the_report_values(
    obligations: list[Obligation], can_pay: dict[str, int], decimals: int
) -> None:
    from coopledger.cli.clearing_commands import report_json, report_text
    from coopledger.setoff.clearing import report_values

    headroom = {m: Headroom(room, room) for m, room in can_pay.items()}
    for result in (solve_setoff(obligations), solve_with_credit(obligations, headroom)):
        assert json.loads(report_json(result, decimals)) == report_values(result, decimals)
        lines = report_text(result, decimals, "SEL").splitlines()
        assert len(lines) == 11 + len(result.members()) + len(obligations) + result.with_credit


def test_the_command_line_imports_no_solver_until_it_clears() -> None:
    import subprocess
    import sys

    code = "import sys, coopledger.cli; print(sorted({'numpy', 'ortools'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


odd_texts = st.sampled_from(["a", "b", "é", 'q"uote', "back\\slash", "tab\there", "", "x" * 25])


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    dated_invoice_lists,
    st.lists(st.tuples(st.integers(0, 29), st.sampled_from(["ref", "debtor"]), odd_texts)),
    st.dictionaries(st.sampled_from(MEMBERS), st.integers(0, 300)),
    st.sampled_from([0, 2, 3]),
)
def test_invoice_lines_with_odd_refs_and_names_are_valid_json_and_whole_in_the_text(
    obligations: list[Obligation],
    changes: list[tuple[int, str, str]],
    can_pay: dict[str, int],
    decimals: int,
) -> None:
    import dataclasses
    import json

    from coopledger.cli.clearing_commands import report_json, report_text

    for at, what, text in changes:  # odd refs and names: JSON escapes, not ASCII, padding
        if at < len(obligations):
            changed = dataclasses.replace(obligations[at], **{what: text})
            if changed.debtor != changed.creditor:
                obligations[at] = changed
    refs = [o.ref for o in obligations]
    obligations = [o for i, o in enumerate(obligations) if o.ref not in refs[:i]]
    headroom = {m: Headroom(room, room) for m, room in can_pay.items()}
    for result in (solve_setoff(obligations), solve_with_credit(obligations, headroom)):
        shown = json.loads(report_json(result, decimals))
        text = report_text(result, decimals, "SEL")
        assert [i["ref"] for i in shown["invoices"]] == [o.ref for o in obligations]
        for invoice in shown["invoices"]:
            assert invoice["ref"] in text and invoice["remaining"] in text
