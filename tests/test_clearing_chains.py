"""Clearing long chains and cycles of members: contracted before the solver.

A member who owes one member and is owed by one other sits on a chain; the
solver gets each chain as one arc (`clearing._chains_contracted_flow`), since
OR-tools' cost-scaling solver takes time in the square of a chain's length.
The set-off must stay the optimal one (networkx as the oracle) and keep every
net position, whatever mix of chains, cycles and other invoices.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.setoff import clearing
from coopledger.setoff.clearing import Obligation, solve_setoff


def least_remaining(obligations: list[Obligation]) -> int:
    """networkx's network simplex on the same invoices: the least debt left."""
    import networkx as nx  # here: imported by the tests that use it only

    if not obligations:
        return 0
    graph = nx.DiGraph()
    demand: dict[str, int] = defaultdict(int)
    capacity: dict[tuple[str, str], int] = defaultdict(int)
    for o in obligations:
        capacity[o.debtor, o.creditor] += o.amount
        demand[o.debtor] -= o.amount
        demand[o.creditor] += o.amount
    for node, value in demand.items():
        graph.add_node(node, demand=value)
    for (tail, head), cap in capacity.items():
        graph.add_edge(tail, head, capacity=cap, weight=1)
    return int(nx.min_cost_flow_cost(graph))


def paths(lengths: list[int], closed: list[bool]) -> list[tuple[str, str]]:
    """Chains of members p0 → p1 → … (closed ones back to their first member),
    sharing their first members m0…m2 so that chains meet."""
    pairs = []
    for number, length in enumerate(lengths):
        hub = f"m{number % 3}"
        members = [hub, *(f"c{number}-{i}" for i in range(length))]
        if closed[number % len(closed)]:
            members.append(hub)
        else:
            members.append(f"m{(number + 1) % 3}")
        pairs.extend(pairwise(members))
    return [p for p in pairs if p[0] != p[1]]


graphs = st.builds(
    lambda lengths, amounts, closed, extra: (paths(lengths, closed), amounts, extra),
    st.lists(st.integers(0, 12), min_size=1, max_size=5),
    st.lists(st.integers(1, 5_000), min_size=1, max_size=60),
    st.lists(st.booleans(), min_size=1, max_size=5),
    st.lists(
        st.tuples(st.sampled_from(["m0", "m1", "m2", "c0-0", "c1-1"]), st.sampled_from(
            ["m0", "m1", "m2", "c0-1", "c2-0"]), st.integers(1, 5_000)),
        max_size=6,
    ),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_chains_and_cycles_clear_optimally_and_keep_net_positions(
    graph: tuple[list[tuple[str, str]], list[int], list[tuple[str, str, int]]],
) -> None:
    pairs, amounts, extra = graph
    rows = [(d, c, amounts[i % len(amounts)]) for i, (d, c) in enumerate(pairs)]
    rows += [(d, c, a) for d, c, a in extra if d != c]
    obligations = [Obligation(f"r{i}", d, c, a) for i, (d, c, a) in enumerate(rows)]

    result = solve_setoff(obligations)

    assert result.total_cleared == result.total_before - least_remaining(obligations)
    assert all(0 <= c <= o.amount for o, c in zip(obligations, result.cleared, strict=True))
    moved: dict[str, int] = defaultdict(int)
    for o, cleared in zip(obligations, result.cleared, strict=True):
        moved[o.debtor] += cleared
        moved[o.creditor] -= cleared
    assert set(moved.values()) <= {0}


@pytest.mark.parametrize("members", [2, 3, 2_000])
def test_a_single_cycle_reaches_the_solver_as_nothing_to_route(
    members: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[int] = []
    solve = clearing._min_cost_flow

    def counted(tails, heads, capacities, costs, supplies):  # type: ignore[no-untyped-def]
        handed.append(len(tails))
        return solve(tails, heads, capacities, costs, supplies)

    monkeypatch.setattr(clearing, "_min_cost_flow", counted)
    draw = np.random.default_rng(members)
    amounts = draw.integers(1, 100_000, members).tolist()
    names = [f"member-{i:05d}" for i in range(members)]
    obligations = [
        Obligation(f"i{i}", names[i], names[(i + 1) % members], amounts[i]) for i in range(members)
    ]

    result = solve_setoff(obligations)

    assert handed == [0]  # the cycle is one loop: nothing left for the solver to route
    assert result.total_cleared == members * min(amounts)
    assert result.total_cleared == result.total_before - least_remaining(obligations)
