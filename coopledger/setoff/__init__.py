"""Multilateral clearing: the set-off that cancels the most debt.

`clearing` solves it as a min-cost flow (OR-tools), with credit as a CP-SAT
model. Pure: it takes balances and invoices and returns the cancellations.

May import: model.
"""
