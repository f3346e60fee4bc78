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
their headroom in the internal currency (Fleischman & Dini, 2021): the most
debt discharged, then the most of it set off (`_lexicographic`, CP-SAT);
`credit_headroom` is that headroom, on the clearing's date and every later one.

Amounts are bounded before any arithmetic (`check_amounts`, `MAX_TOTAL`): a
total that the solvers' 64-bit integers could not hold is refused.

This module is pure: no files, no words. Amounts are ints (minor units).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import compress, repeat
from typing import TYPE_CHECKING, overload

from coopledger.model.problems import CoopError, Problem

if TYPE_CHECKING:  # numpy and ortools are imported when solving, not with the command line
    import numpy as np

    from coopledger.model.days import DayBalance
    from coopledger.model.members import Roster
    from coopledger.model.rules import Rules

NO_DUE = datetime.date.max
NO_DUE_ORDINAL = NO_DUE.toordinal()
WITHOUT_DUE = NO_DUE_ORDINAL + 1  # in `InvoiceColumns.due`: no due date (sorts as NO_DUE)


@cache
def solver_name() -> str:
    """The solver and its version, recorded with each applied clearing."""
    import ortools

    return f"ortools {ortools.__version__}"  # type: ignore[attr-defined]


def __getattr__(name: str) -> str:
    # SOLVER and ORTOOLS_VERSION are computed on first use: importing this module stays cheap
    if name == "SOLVER":
        return solver_name()
    if name == "ORTOOLS_VERSION":
        return solver_name().split(" ", 1)[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


MAX_TOTAL = 2**60
"""The most the invoices of one clearing may add up to, in minor units: every sum
the solvers make (a pair's amount, a member's flows in and out, the total
discharged, set off and paid) then stays well within 64-bit integers."""


def check_amounts(amounts: Sequence[int] | np.ndarray, decimals: int = 0) -> int:
    """The exact total of `amounts` (minor units), or a CoopError past `MAX_TOTAL`.

    Called before any other arithmetic on them, so that no sum wraps around:
    a column (int64) is summed by numpy only when its count times its largest
    value fits; otherwise, and for lists, in Python integers.
    """
    values: Sequence[int]
    if isinstance(amounts, Sequence):
        values = amounts
    else:
        if len(amounts) == 0:
            return 0
        largest = max(int(amounts.max()), -int(amounts.min()))
        if largest * len(amounts) <= MAX_TOTAL:
            return int(amounts.sum())
        values = amounts.tolist()
    total = sum(values)
    if sum(map(abs, values)) > MAX_TOTAL:
        raise CoopError(
            "clearing-too-large",
            total=Decimal(minor_to_text(total, decimals)),
            limit=Decimal(minor_to_text(MAX_TOTAL, decimals)),
        )
    return total


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
    solver: str = field(default_factory=solver_name)
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

    def columns(self) -> Setoff:
        """The same result as columns (for the reports)."""
        import numpy as np

        return Setoff(
            InvoiceColumns.of(self.obligations),
            np.array(self.cleared, dtype=np.int64),
            np.array(self.paid, dtype=np.int64),
            self.upper_bound,
            self.solver,
            self.with_credit,
        )


# ---------------------------------------------------------------- invoices as columns


@dataclass(frozen=True)
class InvoiceColumns:
    """Invoices as columns, one row per invoice: what large lists are solved and printed from."""

    refs: Sequence[str]
    names: Sequence[str]  # every party, sorted
    debtor: np.ndarray  # per invoice: index in names (int64)
    creditor: np.ndarray
    amount: np.ndarray  # minor units (int64)
    due: np.ndarray  # date ordinal (int64), WITHOUT_DUE when there is none

    def __len__(self) -> int:
        return len(self.refs)

    @classmethod
    def of(cls, obligations: Sequence[Obligation]) -> InvoiceColumns:
        import numpy as np

        names = sorted({o.debtor for o in obligations} | {o.creditor for o in obligations})
        index = {name: i for i, name in enumerate(names)}
        count = len(obligations)
        return cls(
            [o.ref for o in obligations],
            names,
            np.fromiter((index[o.debtor] for o in obligations), dtype=np.int64, count=count),
            np.fromiter((index[o.creditor] for o in obligations), dtype=np.int64, count=count),
            np.fromiter((o.amount for o in obligations), dtype=np.int64, count=count),
            np.fromiter(
                (o.due.toordinal() if o.due else WITHOUT_DUE for o in obligations),
                dtype=np.int64,
                count=count,
            ),
        )

    def obligations(self) -> list[Obligation]:
        names = self.names
        dues = {d: datetime.date.fromordinal(d) for d in set(self.due.tolist()) - {WITHOUT_DUE}}
        return [
            Obligation(ref, names[d], names[c], amount, dues.get(due))
            for ref, d, c, amount, due in zip(
                self.refs,
                self.debtor.tolist(),
                self.creditor.tolist(),
                self.amount.tolist(),
                self.due.tolist(),
                strict=True,
            )
        ]


@dataclass(frozen=True)
class Setoff:
    """The result for invoices as columns: per invoice what is set off and paid."""

    invoices: InvoiceColumns
    cleared: np.ndarray  # int64, per invoice
    paid: np.ndarray
    upper_bound: int
    solver: str = field(default_factory=solver_name)
    with_credit: bool = False

    @property
    def total_before(self) -> int:
        return int(self.invoices.amount.sum())

    @property
    def total_cleared(self) -> int:
        return int(self.cleared.sum())

    @property
    def total_paid(self) -> int:
        return int(self.paid.sum())

    @property
    def total_after(self) -> int:
        return self.total_before - self.total_cleared - self.total_paid

    def member_totals(self) -> dict[str, np.ndarray]:
        """Per party (in the order of `invoices.names`): the columns of `MemberRow`."""
        import numpy as np

        inv = self.invoices
        parties = len(inv.names)

        def total(at: np.ndarray, values: np.ndarray) -> np.ndarray:
            sums = np.zeros(parties, dtype=np.int64)
            np.add.at(sums, at, values)
            return sums

        owed_by, owed_to = total(inv.debtor, inv.amount), total(inv.creditor, inv.amount)
        return {
            "owed_by": owed_by,
            "owed_to": owed_to,
            "net_position": owed_to - owed_by,
            "as_debtor": total(inv.debtor, self.cleared),
            "as_creditor": total(inv.creditor, self.cleared),
            "paid": total(inv.debtor, self.paid),
            "received": total(inv.creditor, self.paid),
        }


@dataclass(frozen=True)
class _Graph:
    pair_tail: np.ndarray  # per pair: debtor node
    pair_head: np.ndarray  # per pair: creditor node
    pair_capacity: np.ndarray  # per pair: total owed (int64)
    pair_of: np.ndarray  # per invoice: its pair index
    supplies: np.ndarray  # per node: owed by it minus owed to it


def _graph(invoices: InvoiceColumns) -> _Graph:
    import numpy as np

    nodes = max(len(invoices.names), 1)
    tails, heads, amounts = invoices.debtor, invoices.creditor, invoices.amount
    unique_keys, pair_of = np.unique(tails * nodes + heads, return_inverse=True)
    capacity = np.zeros(len(unique_keys), dtype=np.int64)
    np.add.at(capacity, pair_of, amounts)
    supplies = np.zeros(len(invoices.names), dtype=np.int64)
    np.add.at(supplies, tails, amounts)
    np.subtract.at(supplies, heads, amounts)
    return _Graph(
        unique_keys // nodes, unique_keys % nodes, capacity, pair_of.reshape(-1), supplies
    )


def _min_cost_flow(
    tails: np.ndarray,
    heads: np.ndarray,
    capacities: np.ndarray,
    costs: np.ndarray,
    supplies: np.ndarray,
) -> np.ndarray:
    """The flow on every arc of an optimal solution (OR-tools SimpleMinCostFlow)."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

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


def _in_order(invoices: InvoiceColumns, pair_of: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """`chosen` (invoice indexes, ascending) sorted by pair, due date (none last), ref, index."""
    import numpy as np

    refs = invoices.refs
    ref_rank = np.empty(len(chosen), dtype=np.int64)
    by_ref: np.ndarray | list[int]
    if isinstance(refs, AsciiTexts):  # byte order is code point order
        by_ref = _sorted_rows(_keys(refs.matrix[chosen]))
    else:
        chosen_refs = [refs[i] for i in chosen.tolist()]
        # a stable sort: equal refs keep the order of their indexes
        by_ref = sorted(range(len(chosen_refs)), key=chosen_refs.__getitem__)
    ref_rank[by_ref] = np.arange(len(chosen), dtype=np.int64)
    due = np.minimum(invoices.due[chosen], NO_DUE_ORDINAL)
    return chosen[np.lexsort((ref_rank, due, pair_of[chosen]))]


def _allocate(
    invoices: InvoiceColumns,
    graph: _Graph,
    per_pair: np.ndarray,
    room: np.ndarray | None = None,
) -> np.ndarray:
    """Spread each pair's amount over its invoices, oldest due first, then ref.

    `room` is what each invoice can still take (default: its amount). Each
    invoice in turn takes what is left of its pair's amount, up to its room.
    """
    import numpy as np

    room = invoices.amount if room is None else room
    pair_of = graph.pair_of
    capacity = np.zeros(len(graph.pair_capacity), dtype=np.int64)
    np.add.at(capacity, pair_of, room)
    result = np.zeros(len(invoices), dtype=np.int64)
    full = (per_pair == capacity) & (per_pair > 0)
    take_all = full[pair_of]
    result[take_all] = room[take_all]
    partial = (per_pair > 0) & ~full
    chosen = np.flatnonzero(partial[pair_of])
    if len(chosen):
        order = _in_order(invoices, pair_of, chosen)
        pairs, rooms = pair_of[order], room[order]
        before = np.cumsum(rooms) - rooms  # room of the invoices before, over all pairs
        starts = np.flatnonzero(np.concatenate([[True], pairs[1:] != pairs[:-1]]))
        sizes = np.diff(np.concatenate([starts, [len(pairs)]]))
        before_in_pair = before - np.repeat(before[starts], sizes)
        result[order] = np.clip(per_pair[pairs] - before_in_pair, 0, rooms)
    return result


def _least_remaining(graph: _Graph) -> np.ndarray:
    """Per pair, what remains owed after the best set-off (the minimum-cost flow)."""
    return _chains_contracted_flow(
        graph.pair_tail, graph.pair_head, graph.pair_capacity, graph.supplies
    )


def _chains_contracted_flow(
    tails: np.ndarray, heads: np.ndarray, capacities: np.ndarray, supplies: np.ndarray
) -> np.ndarray:
    """The minimum-cost flow at unit cost per arc, with every chain of members
    that owe one member and are owed by one other contracted into one arc.

    OR-tools' cost-scaling solver pushes flow one member at a time along such
    chains: on a single long cycle its time grows with the square of the
    members (20 s at 10,000, 310 s at 40,000, docs/performance.md), where a
    simplex takes a fraction of a second. Along a chain u → v1 → … → vk → w,
    conservation fixes every arc's flow from the first one's, f_j = f_0 + S_j
    (S_j: the supplies of v1…vj), so the chain is one arc u → w of cost k + 1,
    carrying f_0 less its least possible value L = max(0, -S_j), up to
    min(c_j - S_j) - L; u then supplies L less and w S_k + L more. A chain
    that closes on itself (a cycle of such members alone, or one back to the
    member it began from) carries its least flow: more would only cost.
    Solved on the contracted graph, the chains' flows are worked back; should
    the solver refuse the contracted costs, the graph is solved as it is.
    """
    import numpy as np

    arcs = len(tails)
    nodes = len(supplies)
    out_degree = np.bincount(tails, minlength=nodes)
    in_degree = np.bincount(heads, minlength=nodes)
    inner = (out_degree == 1) & (in_degree == 1)
    ones = np.ones(arcs, dtype=np.int64)
    if not inner.any():
        return _min_cost_flow(tails, heads, capacities, ones, supplies)
    out_arc = np.full(nodes, -1, dtype=np.int64)
    out_arc[tails] = np.arange(arcs)  # for an inner node, its only arc out
    tail_list, head_list, cap_list = tails.tolist(), heads.tolist(), capacities.tolist()
    inner_list, out_list = inner.tolist(), out_arc.tolist()
    supply_list = supplies.tolist()
    new_supplies = list(supply_list)
    from_outer, to_inner = ~inner[tails], inner[heads]
    kept = np.flatnonzero(from_outer & ~to_inner).tolist()  # arcs solved as they are
    chains: list[tuple[list[int], int, list[int]]] = []  # (arcs, L, prefix supplies S_j)
    seen = [False] * nodes
    for arc in np.flatnonzero(from_outer & to_inner).tolist():  # each chain's first arc
        chains.append(_walk(arc, head_list, out_list, inner_list, supply_list, cap_list, seen))
    for node in range(nodes):  # cycles of inner nodes only: the first one is their end
        if inner_list[node] and not seen[node]:
            seen[node] = True
            chains.append(
                _walk(out_list[node], head_list, out_list, inner_list, supply_list, cap_list, seen)
            )
    loops = [c for c in chains if tail_list[c[0][0]] == head_list[c[0][-1]]]
    chains = [c for c in chains if tail_list[c[0][0]] != head_list[c[0][-1]]]
    chain_tails, chain_heads, chain_caps, chain_costs = [], [], [], []
    for chain_arcs, least, prefix in chains:
        first, last = chain_arcs[0], chain_arcs[-1]
        most = min(cap_list[a] - s for a, s in zip(chain_arcs, prefix, strict=True))
        tail, head = tail_list[first], head_list[last]
        new_supplies[tail] -= least
        new_supplies[head] += prefix[-1] + least
        chain_tails.append(tail)
        chain_heads.append(head)
        chain_caps.append(most - least)
        chain_costs.append(len(chain_arcs))
    kept_arcs = np.array(kept, dtype=np.int64)
    try:
        flows = _min_cost_flow(
            np.concatenate([tails[kept_arcs], np.array(chain_tails, dtype=np.int64)]),
            np.concatenate([heads[kept_arcs], np.array(chain_heads, dtype=np.int64)]),
            np.concatenate([capacities[kept_arcs], np.array(chain_caps, dtype=np.int64)]),
            np.concatenate([ones[kept_arcs], np.array(chain_costs, dtype=np.int64)]),
            np.array(new_supplies, dtype=np.int64),
        )
    except RuntimeError:  # pragma: no cover - costs out of the solver's range: as it is
        return _min_cost_flow(tails, heads, capacities, ones, supplies)
    result = np.zeros(arcs, dtype=np.int64)
    result[kept_arcs] = flows[: len(kept)]
    for (chain_arcs, least, prefix), flow in zip(chains, flows[len(kept) :].tolist(), strict=True):
        result[chain_arcs] = np.array(prefix, dtype=np.int64) + (flow + least)
    for chain_arcs, least, prefix in loops:  # a chain back to where it began: the least flow
        result[chain_arcs] = np.array(prefix, dtype=np.int64) + least
    return result


def _walk(
    arc: int,
    head_list: list[int],
    out_list: list[int],
    inner_list: list[bool],
    supply_list: list[int],
    cap_list: list[int],
    seen: list[bool],
) -> tuple[list[int], int, list[int]]:
    """The chain that begins with `arc`: its arcs, the least flow L its first
    arc must carry, and S_j, the supplies of its inner nodes before each arc."""
    chain = [arc]
    prefix = [0]
    head = head_list[arc]
    while inner_list[head] and not seen[head]:
        seen[head] = True
        arc = out_list[head]
        prefix.append(prefix[-1] + supply_list[head])
        chain.append(arc)
        head = head_list[arc]
    least = max(0, *(-s for s in prefix))
    return chain, least, prefix


def solve_columns(invoices: InvoiceColumns) -> Setoff:
    """The optimal set-off of `invoices`, allocated to each of them."""
    import numpy as np

    check_amounts(invoices.amount)
    graph = _graph(invoices)
    remaining = _least_remaining(graph)
    cleared = _allocate(invoices, graph, graph.pair_capacity - remaining)
    total = int(graph.pair_capacity.sum())
    return Setoff(
        invoices,
        cleared,
        np.zeros(len(invoices), dtype=np.int64),
        upper_bound(graph.supplies, total),
    )


def solve_setoff(obligations: Sequence[Obligation]) -> Clearing:
    """The optimal set-off of `obligations`, allocated to each of them."""
    check_amounts([o.amount for o in obligations])
    result = solve_columns(InvoiceColumns.of(obligations))
    return Clearing(
        tuple(obligations),
        tuple(result.cleared.tolist()),
        (0,) * len(obligations),
        result.upper_bound,
    )


@dataclass(frozen=True)
class Headroom:
    """What a member can still pay (down to its floor) and receive (up to its
    ceiling) in the currency, in minor units; None: no limit."""

    can_pay: int | None
    can_receive: int | None


def credit_headroom(
    roster: Roster,
    rules: Rules,
    history: Mapping[str, Sequence[DayBalance]],
    day: datetime.date,
) -> dict[str, Headroom]:
    """Every member who can trade on `day`, with what it can pay and receive that
    day so that no limit breaks then or on any later day of the journal
    (`limits.room_from`), in minor units (rounded down). Suspended members,
    members who left and members not yet joined are left out."""
    from decimal import ROUND_FLOOR, Decimal

    from coopledger.model.limits import room_from

    scale = Decimal(10) ** rules.decimals

    def minor(value: Decimal | None) -> int | None:
        return None if value is None else int((value * scale).to_integral_value(ROUND_FLOOR))

    headroom: dict[str, Headroom] = {}
    for member in roster:
        if member.status_at(day) != "active":
            continue
        pay, receive = room_from(member, rules, history.get(member.id, ()), day)
        headroom[member.id] = Headroom(minor(pay), minor(receive))
    return headroom


def solve_with_credit(
    obligations: Sequence[Obligation], headroom: Mapping[str, Headroom]
) -> Clearing:
    """Set-off plus payments in the currency: the most debt discharged, set-off first.

    A member of `headroom` may pay at most `can_pay` more than it receives and
    receive at most `can_receive` more than it pays. A member missing from it
    cannot trade (suspended, left): no invoice of its is paid, so it is neither
    a payer, nor a payee, nor a go-between; its invoices can still be set off.

    The objective is lexicographic: the most debt discharged (set off or paid),
    then, among the plans that discharge that much, the most set off (the
    least paid in the currency). `_lexicographic` solves it exactly.
    """
    import numpy as np

    check_amounts([o.amount for o in obligations])
    invoices = InvoiceColumns.of(obligations)
    graph = _graph(invoices)
    total = int(graph.pair_capacity.sum())
    names = invoices.names

    def room(value: int | None) -> int:
        return total if value is None else max(min(value, total), 0)

    traders = np.array([n in headroom for n in names], dtype=bool)
    pay = np.array([room(headroom[n].can_pay) if n in headroom else 0 for n in names])
    receive = np.array([room(headroom[n].can_receive) if n in headroom else 0 for n in names])
    tradable = traders[graph.pair_tail] & traders[graph.pair_head]
    if tradable.any():
        setoff, payments = _lexicographic(graph, tradable, pay, receive)
    else:  # nobody can pay: the set-off alone
        setoff = graph.pair_capacity - _least_remaining(graph)
        payments = np.zeros(len(setoff), dtype=np.int64)
    cleared = _allocate(invoices, graph, setoff)
    paid = _allocate(invoices, graph, payments, invoices.amount - cleared)
    return Clearing(
        tuple(obligations),
        tuple(cleared.tolist()),
        tuple(paid.tolist()),
        upper_bound(graph.supplies, total),
        with_credit=True,
    )


def _lexicographic(
    graph: _Graph, tradable: np.ndarray, pay: np.ndarray, receive: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of members: (set off, paid), the most discharged, then the most set off.

    Variables: per pair `s` (set off) and, where both members can trade, `p`
    (paid), with `s + p` at most what is owed; per member who trades its net
    payment, between `-receive` and `pay`. The set-off is a circulation (each
    member cancels as much owed by it as owed to it); the payments leave each
    member its net payment. Two solves of OR-tools CP-SAT, in integers: the
    most `sum(s + p)`, then, that sum fixed, the most `sum(s)`. Two
    commodities share each pair's amount, which a single min-cost flow cannot
    express (it would not know which part of a flow through a member is paid).
    """
    import numpy as np
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    capacity = graph.pair_capacity.tolist()
    tails, heads = graph.pair_tail.tolist(), graph.pair_head.tolist()
    can_trade = tradable.tolist()
    setoff = [model.new_int_var(0, c, f"s{a}") for a, c in enumerate(capacity)]
    paid: dict[int, cp_model.IntVar] = {}
    for a, c in enumerate(capacity):
        if can_trade[a]:
            paid[a] = model.new_int_var(0, c, f"p{a}")
            model.add(setoff[a] + paid[a] <= c)
    nodes = len(pay)
    out_s: list[list[cp_model.IntVar]] = [[] for _ in range(nodes)]
    in_s: list[list[cp_model.IntVar]] = [[] for _ in range(nodes)]
    out_p: list[list[cp_model.IntVar]] = [[] for _ in range(nodes)]
    in_p: list[list[cp_model.IntVar]] = [[] for _ in range(nodes)]
    for a in range(len(capacity)):
        out_s[tails[a]].append(setoff[a])
        in_s[heads[a]].append(setoff[a])
        if a in paid:
            out_p[tails[a]].append(paid[a])
            in_p[heads[a]].append(paid[a])
    pays, receives = pay.tolist(), receive.tolist()
    for node in range(nodes):
        model.add(sum(out_s[node]) == sum(in_s[node]))
        if out_p[node] or in_p[node]:
            net = model.new_int_var(-receives[node], pays[node], f"n{node}")
            model.add(sum(out_p[node]) - sum(in_p[node]) == net)
    discharged = sum(setoff) + sum(paid.values())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # one worker: the same plan every time
    # a network LP: its relaxation holds the answer (2000 invoices: 7 s instead of 10)
    solver.parameters.linearization_level = 2
    solver.parameters.cp_model_probing_level = 0
    model.maximize(discharged)
    _solved(solver, model)
    model.add(discharged == solver.value(discharged))
    for variable in [*setoff, *paid.values()]:
        model.add_hint(variable, solver.value(variable))
    model.maximize(sum(setoff))
    _solved(solver, model)
    set_off = np.array([solver.value(v) for v in setoff], dtype=np.int64)
    payments = np.zeros(len(capacity), dtype=np.int64)
    for a, variable in paid.items():
        payments[a] = solver.value(variable)
    return set_off, payments


def _solved(solver: object, model: object) -> None:
    from ortools.sat.python import cp_model

    assert isinstance(solver, cp_model.CpSolver) and isinstance(model, cp_model.CpModel)
    status = solver.solve(model)
    if status != cp_model.OPTIMAL:  # pragma: no cover - "nothing discharged" is feasible
        raise RuntimeError(f"clearing with credit: {solver.status_name(status)}")


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


def _csv_error(error: Exception, filename: str, line: int) -> Problem:
    """What the csv module could not read, on the line where the row begins."""
    import csv

    detail = str(error)
    if "field larger than field limit" in detail:
        return Problem(
            "csv-field-too-large", filename, line, {"most": f"{csv.field_size_limit():,}"}
        )
    if "unexpected end of data" in detail:
        detail = "a double quote opened on this line is never closed"
    return Problem("csv-malformed", filename, line, {"detail": detail})


def read_invoice_csv(
    lines: Sequence[str] | object, filename: str, decimals: int
) -> tuple[list[Obligation], list[Problem]]:
    """Rows `debtor,creditor,amount[,ref,due]` after a header row.

    Every row in error is reported with its line number; a row without a ref
    gets `L<line number>`.
    """
    import csv

    problems: list[Problem] = []
    reader = csv.reader(lines, strict=True)  # type: ignore[arg-type]
    try:
        header = next(reader, None)
    except csv.Error as error:
        return [], [_csv_error(error, filename, 1)]
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
    rows = iter(reader)
    while True:
        start = reader.line_num + 1  # a quoted field may run over several lines
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:  # read strictly: the reading cannot go on
            problems.append(_csv_error(error, filename, start))
            break
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


def _header_columns(header: Sequence[str] | None) -> list[str] | None:
    """The header's column names, or None when the header is wrong."""
    columns = [c.strip().lower() for c in header] if header else []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    if header is None or unknown or missing or len(set(columns)) != len(columns):
        return None
    return columns


def read_invoice_text(
    text: str, filename: str, decimals: int
) -> tuple[InvoiceColumns | None, list[Problem]]:
    """`read_invoice_csv` on a whole file's text, as columns.

    A fast path reads plain files (no quotes, no row in error) with a few
    operations over whole columns; anything else goes through
    `read_invoice_csv`, row by row, which finds every row in error. Both
    give the same invoices.
    """
    columns = _read_plain(text, decimals)
    if columns is not None:
        return columns, []
    import io

    obligations, problems = read_invoice_csv(io.StringIO(text, newline=""), filename, decimals)
    if problems:
        return None, problems
    check_amounts([o.amount for o in obligations], decimals)
    return InvoiceColumns.of(obligations), []


def _read_plain(text: str, decimals: int) -> InvoiceColumns | None:
    """The invoices of a CSV text without quotes and without errors, else None."""
    import numpy as np

    if '"' in text or "\0" in text or not 0 <= decimals <= 15:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    header = _header_columns(lines[0].split(",")) if lines else None
    if header is None:
        return None
    width = len(header)
    body = lines[1:]
    numbers = np.arange(2, len(body) + 2, dtype=np.int64)  # line numbers
    commas = np.fromiter(map(str.count, body, repeat(",")), dtype=np.int64, count=len(body))
    whole = commas == width - 1
    if not whole.all():
        if any(body[i].strip() for i in np.flatnonzero(~whole).tolist()):
            return None  # a row of the wrong width: reported row by row
        body = list(compress(body, whole.tolist()))  # blank lines are skipped
        numbers = numbers[whole]
    count = len(body)
    fields = ",".join(body).split(",") if count else []
    at = {name: header.index(name) for name in header}

    def column(name: str) -> list[str]:
        return list(map(str.strip, fields[at[name] :: width]))

    debtors, creditors = column("debtor"), column("creditor")
    parties = dict.fromkeys(debtors)
    parties.update(dict.fromkeys(creditors))
    if "" in parties:
        return None
    names = sorted(parties)
    index = {name: i for i, name in enumerate(names)}
    debtor = np.fromiter(map(index.__getitem__, debtors), dtype=np.int64, count=count)
    creditor = np.fromiter(map(index.__getitem__, creditors), dtype=np.int64, count=count)
    del debtors, creditors, parties
    if (debtor == creditor).any():
        return None
    amount = _plain_amounts(fields[at["amount"] :: width], decimals)
    if amount is None:
        return None
    if "ref" in at:
        refs = column("ref")
        if "" in refs:
            for i in [i for i, ref in enumerate(refs) if not ref]:
                refs[i] = f"L{numbers[i]}"
    else:
        refs = [f"L{line}" for line in numbers.tolist()]
    if len(set(refs)) != count:
        return None
    due = np.full(count, WITHOUT_DUE, dtype=np.int64)
    if "due" in at:
        texts = column("due")
        ordinals: dict[str, int] = {}
        for value in dict.fromkeys(texts):
            try:
                ordinals[value] = (
                    datetime.date.fromisoformat(value).toordinal() if value else WITHOUT_DUE
                )
            except ValueError:
                return None
        due = np.fromiter(map(ordinals.__getitem__, texts), dtype=np.int64, count=count)
    return InvoiceColumns(refs, names, debtor, creditor, amount, due)


class AsciiTexts(Sequence[str]):
    """A column of ASCII texts kept as one byte matrix (a text per row, 0 after its end).

    Read from a file's bytes, a million references cost one array instead of
    a million strings; each text is made when it is asked for.
    """

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix  # uint8, (count, width)

    def __len__(self) -> int:
        return len(self.matrix)

    def _text(self, row: np.ndarray) -> str:
        return row.tobytes().rstrip(b"\0").decode("ascii")

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return self._list(self.matrix[index])
        return self._text(self.matrix[index])

    @staticmethod
    def _list(matrix: np.ndarray) -> list[str]:
        width = matrix.shape[1]
        if width == 0:
            return [""] * len(matrix)
        return [b.decode("ascii") for b in matrix.view(f"S{width}").ravel().tolist()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._list(self.matrix))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


_BLANK = b" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"  # what str.strip removes, in ASCII
_MAX_FIELD = 256  # longer fields: the text reader


def read_invoice_bytes(data: bytes, decimals: int) -> InvoiceColumns | None:
    """`read_invoice_text` of a plain ASCII file's bytes, or None for any other file.

    Plain: ASCII, LF line ends, no quote, NUL or blank line, no field that starts
    or ends with a blank, and no row in error. The fields are found from the
    positions of the commas and newlines and read column by column with numpy,
    eight bytes at a time (`_field_keys`); anything else is for
    `read_invoice_text` (which finds every row in error).
    """
    import numpy as np

    if not data.isascii() or not 0 <= decimals <= 15:
        return None
    if b'"' in data or b"\0" in data or b"\r" in data:
        return None
    end = data.find(b"\n")
    if end <= 0:
        return None
    header = _header_columns(data[:end].decode("ascii").split(","))
    if header is None:
        return None
    width = len(header)
    body = data[end + 1 :]
    if body and not body.endswith(b"\n"):
        body += b"\n"
    if not body:
        empty = np.zeros(0, dtype=np.int64)
        return InvoiceColumns(AsciiTexts(np.zeros((0, 0), np.uint8)), [], *[empty] * 4)
    buffer = np.frombuffer(body, dtype=np.uint8)
    delimiters = np.flatnonzero((buffer == 10) | (buffer == 44))
    count = len(delimiters) // width
    if len(delimiters) != count * width or int(np.count_nonzero(buffer == 10)) != count:
        return None
    if count and not (buffer[delimiters[width - 1 :: width]] == 10).all():
        return None  # a row of another width, or a blank line
    starts = np.concatenate([[0], delimiters[:-1] + 1]) if count else delimiters
    lengths = delimiters - starts
    if count and int(lengths.max()) > _MAX_FIELD:
        return None
    blank = np.zeros(256, dtype=bool)
    blank[list(_BLANK)] = True
    filled = lengths > 0
    if (blank[buffer[starts[filled]]] | blank[buffer[delimiters[filled] - 1]]).any():
        return None  # a field to strip
    at = {name: header.index(name) for name in header}
    words = _words(buffer)

    def column(name: str) -> tuple[np.ndarray, np.ndarray]:
        """The column's texts as `_keys` (0 after each end), and their lengths."""
        first, size = starts[at[name] :: width], lengths[at[name] :: width]
        return _field_keys(words, first, size), size

    debtors, debtor_size = column("debtor")
    creditors, creditor_size = column("creditor")
    if count and (int(debtor_size.min()) == 0 or int(creditor_size.min()) == 0):
        return None
    names, debtor, creditor = _parties(debtors, creditors)
    if (debtor == creditor).any():
        return None
    amounts = _texts_of_keys(column("amount")[0])
    amount = _amounts_of_codes(amounts, AsciiTexts(amounts).__getitem__, decimals)
    if amount is None:
        return None
    if "ref" in at:
        ref_keys, ref_size = column("ref")
        refs = _texts_of_keys(ref_keys)
        missing = np.flatnonzero(ref_size == 0)
        if len(missing):
            made = np.array([f"L{i + 2}" for i in missing.tolist()], dtype="S")
            grow = max(made.dtype.itemsize - refs.shape[1], 0)
            refs = np.pad(refs, ((0, 0), (0, grow)))
            refs[missing, : made.dtype.itemsize] = made.view(np.uint8).reshape(len(missing), -1)
            ref_keys = _keys(refs)
    else:
        made = np.char.add(b"L", np.arange(2, count + 2).astype("S"))
        refs = made.view(np.uint8).reshape(count, -1) if count else np.zeros((0, 0), np.uint8)
        ref_keys = _keys(refs)
    if _has_duplicate_keys(ref_keys):
        return None
    due = np.full(count, WITHOUT_DUE, dtype=np.int64)
    if "due" in at:
        distinct_keys, due_of = _distinct_keys(column("due")[0])
        distinct = _texts_of_keys(distinct_keys)
        ordinals = []
        for value in AsciiTexts(distinct):
            try:
                ordinals.append(
                    datetime.date.fromisoformat(value).toordinal() if value else WITHOUT_DUE
                )
            except ValueError:
                return None
        due = np.array(ordinals, dtype=np.int64)[due_of] if count else due
    return InvoiceColumns(AsciiTexts(refs), names, debtor, creditor, amount, due)


def _words(buffer: np.ndarray) -> np.ndarray:
    """The bytes as big-endian 64-bit words (uint64), then zero words for a field
    of `_MAX_FIELD` bytes and the word after it."""
    import numpy as np

    padded = np.zeros((len(buffer) + _MAX_FIELD + 23) // 8 * 8, dtype=np.uint8)
    padded[: len(buffer)] = buffer
    return padded.view(">u8").astype(np.uint64)


def _field_keys(words: np.ndarray, first: np.ndarray, size: np.ndarray) -> np.ndarray:
    """`_keys` of the texts at byte offsets `first` of `size` bytes, from `_words`.

    Each 8 bytes of a text are one unaligned load: the two words it spans,
    shifted together, the bytes after the text's end masked to 0.
    """
    import numpy as np

    count = len(first)
    columns = max((int(size.max()) + 7) // 8, 1) if count else 1
    keys = np.empty((count, columns), dtype=np.uint64)
    position = first.astype(np.uint64)
    one, eight, everything = np.uint64(1), np.uint64(8), np.uint64(2**64 - 1)
    for column in range(columns):
        word = position >> np.uint64(3)
        shift = (position & np.uint64(7)) << np.uint64(3)
        key = words[word] << shift
        # the next word's first bytes; shifted in two steps as a shift by 64 is undefined
        key |= (words[word + one] >> (np.uint64(63) - shift)) >> one
        half_dropped = (np.clip(size - 8 * column, 0, 8) * 4).astype(np.uint64)
        key &= ~((everything >> half_dropped) >> half_dropped)
        keys[:, column] = key
        position += eight
    return keys


def _texts_of_keys(keys: np.ndarray) -> np.ndarray:
    """The byte matrix of texts given as `_keys` (its width a multiple of 8)."""
    import numpy as np

    return keys.astype(">u8").view(np.uint8).reshape(len(keys), -1)


def _keys(matrix: np.ndarray) -> np.ndarray:
    """Rows of a byte matrix as big-endian uint64 words: sorting them sorts the texts."""
    import numpy as np

    count, width = matrix.shape
    words = max((width + 7) // 8, 1)
    padded = np.zeros((count, words * 8), dtype=np.uint8)
    padded[:, :width] = matrix
    return padded.view(">u8").astype(np.uint64)


def _sorted_rows(keys: np.ndarray) -> np.ndarray:
    """The order that sorts rows of `_keys` (that is, the texts)."""
    import numpy as np

    if keys.shape[1] == 1:
        return np.argsort(keys[:, 0], kind="stable")
    return np.lexsort(keys.T[::-1])


def _distinct_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of `_keys` in text order, and for each row the index of its own."""
    import numpy as np

    if len(keys) == 0:
        return keys, np.zeros(0, dtype=np.int64)
    order = _sorted_rows(keys)
    ordered = keys[order]
    new = np.concatenate([[True], (ordered[1:] != ordered[:-1]).any(axis=1)])
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _has_duplicate_keys(keys: np.ndarray) -> bool:
    if len(keys) < 2:
        return False
    ordered = keys[_sorted_rows(keys)]
    return bool((ordered[1:] == ordered[:-1]).all(axis=1).any())


def _parties(
    debtors: np.ndarray, creditors: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The parties sorted, and each invoice's debtor and creditor as indexes (from `_keys`)."""
    import numpy as np

    width = max(debtors.shape[1], creditors.shape[1])
    both = np.zeros((len(debtors) + len(creditors), width), dtype=np.uint64)
    both[: len(debtors), : debtors.shape[1]] = debtors
    both[len(debtors) :, : creditors.shape[1]] = creditors
    distinct, index = _distinct_keys(both)
    return list(AsciiTexts(_texts_of_keys(distinct))), index[: len(debtors)], index[len(debtors) :]


def _plain_amounts(texts: list[str], decimals: int) -> np.ndarray | None:
    """`parse_minor` of every text as int64, or None if one is not a positive amount.

    Texts of digits with at most `decimals` decimals after a point are read
    over the whole column at once, the others one by one with `parse_minor`.
    """
    import numpy as np

    count = len(texts)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    chars = np.array(texts)
    width = chars.dtype.itemsize // 4
    codes = chars.view(np.uint32).reshape(count, width)  # code points, 0 after the end
    return _amounts_of_codes(codes, texts.__getitem__, decimals)


def _amounts_of_codes(
    codes: np.ndarray, text_of: Callable[[int], str], decimals: int
) -> np.ndarray | None:
    """`_plain_amounts` of texts given as a matrix of character codes (0 after the end)."""
    import numpy as np

    count, width = codes.shape
    length = np.count_nonzero(codes, axis=1)
    is_digit = (codes >= 48) & (codes <= 57)
    is_point = codes == 46
    points = np.count_nonzero(is_point, axis=1)
    point_at = np.where(points > 0, np.argmax(is_point, axis=1), length)
    fraction = np.where(points > 0, length - point_at - 1, 0)
    plain = (
        (np.count_nonzero(is_digit, axis=1) + points == length)
        & (points <= 1)
        & (point_at >= 1)
        & ((points == 0) | (fraction >= 1))
        & (fraction <= decimals)
        & (point_at + decimals <= 18)  # fits in int64
    )
    powers = 10 ** np.arange(19, dtype=np.int64)
    value = np.zeros(count, dtype=np.int64)
    for j in range(width):
        exponent = np.where(j < point_at, point_at - 1 - j + decimals, decimals - (j - point_at))
        digit = codes[:, j].astype(np.int64) - 48
        use = is_digit[:, j] & plain
        value += np.where(use, digit * powers[np.clip(exponent, 0, 18)], 0)
    plain &= value > 0
    for i in np.flatnonzero(~plain).tolist():
        parsed, _ = parse_minor(text_of(i), decimals)
        if parsed is None or parsed >= 2**63:
            return None
        value[i] = parsed
    return value


def minor_texts(values: np.ndarray, decimals: int) -> list[str]:
    """`minor_to_text` of every value of an int64 array."""
    import numpy as np

    if decimals == 0:
        return list(map(str, values.tolist()))
    scale = 10**decimals
    if len(values) == 0 or int(values.min()) >= 0:
        pattern = f"%d.%0{decimals}d"
        return list(
            map(
                pattern.__mod__,
                zip((values // scale).tolist(), (values % scale).tolist(), strict=True),
            )
        )
    size = np.abs(values)
    pattern = f"%s%d.%0{decimals}d"
    signs = np.where(values < 0, "-", "").tolist()
    return list(
        map(
            pattern.__mod__,
            zip(signs, (size // scale).tolist(), (size % scale).tolist(), strict=True),
        )
    )
