"""Reports as figures (no words): the monthly report, statements, balances, trade lists.

May import: model, validation, cache (`aggregates`).
"""
