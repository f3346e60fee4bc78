"""Multilateral clearing: the set-off that cancels the most debt.

Given open invoices (debtor owes creditor an amount), the set-off cancels part
of every invoice so that each member's net position (owed to it minus owed by
it) stays what it was, and the total cancelled is as large as possible.

It is a minimum-cost flow, solved exactly in integer minor units (cents): on
the graph with one arc debtor→creditor per pair of members, carrying at most
what the debtor owes the creditor at unit cost 1, every member supplies its
net debt. The flow is what *remains* owed; a minimum-cost flow leaves the
least debt, so `capacity - flow` on each arc is the most that can be cleared.

    >>> triangle = [Obligation("a", "alice", "bob", 100),
    ...             Obligation("b", "bob", "carol", 100),
    ...             Obligation("c", "carol", "alice", 60)]
    >>> result = solve_setoff(triangle)
    >>> result.cleared, result.total_cleared, result.upper_bound
    ((60, 60, 60), 180, 180)

The cleared amount of each pair of members is spread over that pair's
invoices oldest due date first (invoices without a due date last), then by
reference. `solve_with_credit` also lets members pay what is left through
their headroom in the internal currency (Fleischman & Dini, 2021).

This module is pure: no files, no words. Amounts are ints (minor units).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from coopledger.problems import Problem

ORTOOLS_VERSION = __import__("ortools").__version__
SOLVER = f"ortools {ORTOOLS_VERSION}"
NO_DUE = datetime.date.max


@dataclass(frozen=True)
class Obligation:
    """An open invoice: `debtor` owes `creditor` `amount` minor units."""

    ref: str
    debtor: str
    creditor: str
    amount: int
    due: datetime.date | None = None


@dataclass(frozen=True)
class MemberRow:
    member: str
    owed_by: int  # as debtor, before
    owed_to: int  # as creditor, before
    as_debtor: int  # cleared as debtor
    as_creditor: int  # cleared as creditor
    paid: int = 0  # paid through the currency (with credit)
    received: int = 0

    @property
    def net_position(self) -> int:
        return self.owed_to - self.owed_by


@dataclass(frozen=True)
class Clearing:
    """The result: per obligation (in the order given) what is set off and paid."""

    obligations: tuple[Obligation, ...]
    cleared: tuple[int, ...]
    paid: tuple[int, ...]
    upper_bound: int
    solver: str = SOLVER
    with_credit: bool = False

    @property
    def total_before(self) -> int:
        return sum(o.amount for o in self.obligations)

    @property
    def total_cleared(self) -> int:
        return sum(self.cleared)

    @property
    def total_paid(self) -> int:
        return sum(self.paid)

    @property
    def total_after(self) -> int:
        return self.total_before - self.total_cleared - self.total_paid

    def remaining(self, index: int) -> int:
        return self.obligations[index].amount - self.cleared[index] - self.paid[index]

    def members(self) -> list[MemberRow]:
        """One row per member, sorted by id."""
        totals: dict[str, list[int]] = {}
        for o, cleared, paid in zip(self.obligations, self.cleared, self.paid, strict=True):
            d = totals.setdefault(o.debtor, [0, 0, 0, 0, 0, 0])
            c = totals.setdefault(o.creditor, [0, 0, 0, 0, 0, 0])
            d[0] += o.amount
            c[1] += o.amount
            d[2] += cleared
            c[3] += cleared
            d[4] += paid
            c[5] += paid
        return [MemberRow(m, *values) for m, values in sorted(totals.items())]


@dataclass(frozen=True)
class _Graph:
    names: list[str]  # node index -> member, sorted
    pair_tail: np.ndarray  # per pair: debtor node
    pair_head: np.ndarray  # per pair: creditor node
    pair_capacity: np.ndarray  # per pair: total owed (int64)
    pair_of: np.ndarray  # per obligation: its pair index
    supplies: np.ndarray  # per node: owed by it minus owed to it


def _graph(obligations: Sequence[Obligation]) -> _Graph:
    names = sorted({o.debtor for o in obligations} | {o.creditor for o in obligations})
    index = {name: i for i, name in enumerate(names)}
    count = len(obligations)
    tails = np.fromiter((index[o.debtor] for o in obligations), dtype=np.int64, count=count)
    heads = np.fromiter((index[o.creditor] for o in obligations), dtype=np.int64, count=count)
    amounts = np.fromiter((o.amount for o in obligations), dtype=np.int64, count=count)
    return _graph_of_arrays(names, tails, heads, amounts)


def _graph_of_arrays(
    names: list[str], tails: np.ndarray, heads: np.ndarray, amounts: np.ndarray
) -> _Graph:
    nodes = len(names)
    keys = tails * max(nodes, 1) + heads
    unique_keys, pair_of = np.unique(keys, return_inverse=True)
    capacity = np.zeros(len(unique_keys), dtype=np.int64)
    np.add.at(capacity, pair_of, amounts)
    supplies = np.zeros(nodes, dtype=np.int64)
    np.add.at(supplies, tails, amounts)
    np.subtract.at(supplies, heads, amounts)
    return _Graph(
        names,
        unique_keys // max(nodes, 1),
        unique_keys % max(nodes, 1),
        capacity,
        pair_of.reshape(-1),
        supplies,
    )


def _min_cost_flow(
    tails: np.ndarray,
    heads: np.ndarray,
    capacities: np.ndarray,
    costs: np.ndarray,
    supplies: np.ndarray,
) -> np.ndarray:
    """The flow on every arc of an optimal solution (OR-tools SimpleMinCostFlow)."""
    solver = min_cost_flow.SimpleMinCostFlow()
    if len(tails) == 0:
        return np.zeros(0, dtype=np.int64)
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    solver.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:  # pragma: no cover - the flow "everything remains" is feasible
        raise RuntimeError(f"min cost flow: status {status}")
    return np.asarray(solver.flows(arcs), dtype=np.int64)


def upper_bound(supplies: np.ndarray, total: int) -> int:
    """No set-off can clear more than the total minus the sum of net debts."""
    return total - int(supplies[supplies > 0].sum())


def _allocate(
    obligations: Sequence[Obligation],
    graph: _Graph,
    per_pair: np.ndarray,
    room: np.ndarray | None = None,
) -> np.ndarray:
    """Spread each pair's amount over its obligations, oldest due first, then ref.

    `room` is what each obligation can still take (default: its amount).
    """
    amounts = np.fromiter((o.amount for o in obligations), dtype=np.int64, count=len(obligations))
    room = amounts if room is None else room
    capacity = np.zeros(len(graph.pair_capacity), dtype=np.int64)
    np.add.at(capacity, graph.pair_of, room)
    result = np.zeros(len(obligations), dtype=np.int64)
    full = (per_pair == capacity) & (per_pair > 0)
    take_all = full[graph.pair_of]
    result[take_all] = room[take_all]
    partial_pairs = np.flatnonzero((per_pair > 0) & ~full)
    if len(partial_pairs):
        wanted = np.isin(graph.pair_of, partial_pairs)
        members = np.flatnonzero(wanted)
        order = sorted(
            members.tolist(),
            key=lambda i: (
                int(graph.pair_of[i]),
                obligations[i].due or NO_DUE,
                obligations[i].ref,
                i,
            ),
        )
        left = {int(p): int(per_pair[p]) for p in partial_pairs}
        for i in order:
            pair = int(graph.pair_of[i])
            take = min(left[pair], int(room[i]))
            result[i] = take
            left[pair] -= take
    return result


def solve_setoff(obligations: Sequence[Obligation]) -> Clearing:
    """The optimal set-off of `obligations`, allocated to each of them."""
    graph = _graph(obligations)
    return _setoff_of_graph(obligations, graph)


def _setoff_of_graph(obligations: Sequence[Obligation], graph: _Graph) -> Clearing:
    remaining = _min_cost_flow(
        graph.pair_tail,
        graph.pair_head,
        graph.pair_capacity,
        np.ones(len(graph.pair_capacity), dtype=np.int64),
        graph.supplies,
    )
    cleared = _allocate(obligations, graph, graph.pair_capacity - remaining)
    total = int(graph.pair_capacity.sum())
    return Clearing(
        tuple(obligations),
        tuple(cleared.tolist()),
        (0,) * len(obligations),
        upper_bound(graph.supplies, total),
    )


def solve_with_credit(
    obligations: Sequence[Obligation],
    can_pay: Mapping[str, int],
    can_receive: Mapping[str, int],
) -> Clearing:
    """Set-off plus payments in the currency, discharging the most debt.

    A member may pay at most `can_pay[m]` more than it receives (its distance
    to its floor) and receive at most `can_receive[m]` more than it pays (its
    distance to its ceiling); members missing from the mappings cannot use
    the currency. Among the solutions that discharge the most, the one paying
    the least in the currency is chosen, so set-off comes first.
    """
    graph = _graph(obligations)
    nodes = len(graph.names)
    total = int(graph.pair_capacity.sum())
    if nodes == 0:
        return _setoff_of_graph(obligations, graph)
    hub = nodes
    pay = np.array([min(can_pay.get(n, 0), total) for n in graph.names], dtype=np.int64)
    receive = np.array([min(can_receive.get(n, 0), total) for n in graph.names], dtype=np.int64)
    ids = np.arange(nodes, dtype=np.int64)
    pairs = len(graph.pair_capacity)
    flows = _min_cost_flow(
        np.concatenate([graph.pair_tail, ids, np.full(nodes, hub)]),
        np.concatenate([graph.pair_head, np.full(nodes, hub), ids]),
        np.concatenate([graph.pair_capacity, pay, receive]),
        np.concatenate([np.ones(pairs, dtype=np.int64), np.zeros(2 * nodes, dtype=np.int64)]),
        np.concatenate([graph.supplies, [0]]),
    )
    discharged = graph.pair_capacity - flows[:pairs]
    # currency change of every member: what it receives minus what it pays
    change = np.zeros(nodes, dtype=np.int64)
    np.add.at(change, graph.pair_head, discharged)
    np.subtract.at(change, graph.pair_tail, discharged)
    payments = _min_cost_flow(
        graph.pair_tail,
        graph.pair_head,
        discharged,
        np.ones(pairs, dtype=np.int64),
        -change,
    )
    setoff = discharged - payments
    cleared = _allocate(obligations, graph, setoff)
    amounts = np.fromiter((o.amount for o in obligations), dtype=np.int64, count=len(obligations))
    paid = _allocate(obligations, graph, payments, amounts - cleared)
    return Clearing(
        tuple(obligations),
        tuple(cleared.tolist()),
        tuple(paid.tolist()),
        upper_bound(graph.supplies, total),
        with_credit=True,
    )


# ---------------------------------------------------------------- report values


def minor_to_text(value: int, decimals: int) -> str:
    """Minor units as a decimal string: 12345, 2 -> '123.45'."""
    if decimals == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}"


def percent(part: int, whole: int) -> str:
    """A percentage with one decimal, computed in integers."""
    if whole == 0:
        return "0.0"
    tenths = (part * 1000 + whole // 2) // whole
    return f"{tenths // 10}.{tenths % 10}"


def minor_formatter(decimals: int) -> Callable[[int], str]:
    """A fast `minor_to_text` for one number of decimals."""
    if decimals == 0:
        return str
    scale = 10**decimals

    def text(value: int) -> str:
        if value < 0:
            return minor_to_text(value, decimals)
        whole, fraction = divmod(value, scale)
        return f"{whole}.{fraction:0{decimals}d}"

    return text


def report_values_head(clearing: Clearing, decimals: int) -> dict[str, object]:
    """The report's totals and member table as plain values (decimal strings)."""
    text = minor_formatter(decimals)
    return {
        "solver": clearing.solver,
        "with_credit": clearing.with_credit,
        "total_before": text(clearing.total_before),
        "cleared": text(clearing.total_cleared),
        "paid": text(clearing.total_paid),
        "total_after": text(clearing.total_after),
        "percent_cleared": percent(clearing.total_cleared, clearing.total_before),
        "percent_discharged": percent(
            clearing.total_cleared + clearing.total_paid, clearing.total_before
        ),
        "upper_bound": text(clearing.upper_bound),
        "members": {
            row.member: {
                "owed_by": text(row.owed_by),
                "owed_to": text(row.owed_to),
                "net_position": text(row.net_position),
                "as_debtor": text(row.as_debtor),
                "as_creditor": text(row.as_creditor),
                "paid": text(row.paid),
                "received": text(row.received),
            }
            for row in clearing.members()
        },
    }


def report_values(clearing: Clearing, decimals: int) -> dict[str, object]:
    """The whole report as plain values, ready for JSON: totals, members, invoices."""
    text = minor_formatter(decimals)
    values = report_values_head(clearing, decimals)
    values["invoices"] = [
        {
            "ref": o.ref,
            "debtor": o.debtor,
            "creditor": o.creditor,
            "due": o.due.isoformat() if o.due else None,
            "amount": text(o.amount),
            "cleared": text(cleared),
            "paid": text(paid),
            "remaining": text(o.amount - cleared - paid),
        }
        for o, cleared, paid in zip(
            clearing.obligations, clearing.cleared, clearing.paid, strict=True
        )
    ]
    return values


# ---------------------------------------------------------------- external invoice lists

CSV_COLUMNS = ("debtor", "creditor", "amount", "ref", "due")
CSV_REQUIRED = ("debtor", "creditor", "amount")


_AMOUNT = re.compile(r"([+-]?)([0-9]+)(?:[.,]([0-9]+))?")


def parse_minor(text: str, decimals: int) -> tuple[int | None, str | None]:
    """A positive amount as minor units, or (None, the code of what is wrong)."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        return None, "amount-not-a-number"
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if len(fraction) > decimals and fraction[decimals:].strip("0"):
        return None, "amount-too-precise"
    value = int(whole + fraction[:decimals].ljust(decimals, "0"))
    if value == 0 or sign == "-":
        return None, "amount-not-positive"
    return value, None


def read_invoice_csv(
    lines: Sequence[str] | object, filename: str, decimals: int
) -> tuple[list[Obligation], list[Problem]]:
    """Rows `debtor,creditor,amount[,ref,due]` after a header row.

    Every row in error is reported with its line number; a row without a ref
    gets `L<line number>`.
    """
    import csv

    problems: list[Problem] = []
    reader = csv.reader(lines)  # type: ignore[arg-type]
    header = next(reader, None)
    columns = [c.strip().lower() for c in header] if header else []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    if header is None or unknown or missing or len(set(columns)) != len(columns):
        problems.append(
            Problem(
                "csv-bad-header",
                filename,
                1,
                {"found": ",".join(columns), "expected": "debtor,creditor,amount[,ref,due]"},
            )
        )
        return [], problems
    at = {name: columns.index(name) for name in columns}
    width = len(columns)
    i_debtor, i_creditor, i_amount = at["debtor"], at["creditor"], at["amount"]
    i_ref, i_due = at.get("ref"), at.get("due")
    obligations: list[Obligation] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            problems.append(
                Problem(
                    "csv-bad-row", filename, line, {"found": str(len(row)), "expected": str(width)}
                )
            )
            continue
        debtor, creditor = row[i_debtor].strip(), row[i_creditor].strip()
        if not debtor or not creditor:
            problems.append(Problem("csv-missing-party", filename, line, {}))
            continue
        if debtor == creditor:
            problems.append(Problem("csv-same-party", filename, line, {"party": debtor}))
            continue
        amount, code = parse_minor(row[i_amount], decimals)
        if amount is None:
            problems.append(
                Problem(
                    code or "amount-not-a-number",
                    filename,
                    line,
                    {"amount": row[i_amount], "decimals": str(decimals)},
                )
            )
            continue
        ref = row[i_ref].strip() if i_ref is not None else ""
        ref = ref or f"L{line}"
        if ref in seen:
            problems.append(
                Problem("csv-duplicate-ref", filename, line, {"ref": ref, "first": str(seen[ref])})
            )
            continue
        seen[ref] = line
        due = None
        if i_due is not None and row[i_due].strip():
            try:
                due = datetime.date.fromisoformat(row[i_due].strip())
            except ValueError:
                problems.append(Problem("bad-date", filename, line, {"value": row[i_due]}))
                continue
        obligations.append(Obligation(ref, debtor, creditor, amount, due))
    return obligations, problems
