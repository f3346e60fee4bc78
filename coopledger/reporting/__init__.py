"""Reports as figures (no words): the monthly report, statements, balances, trade lists.

May import: `coopledger.i18n`, model, validation, cache (`aggregates`).
"""
