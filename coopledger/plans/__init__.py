"""Planning writes: every command that changes the cooperative is a plan here.

`writes` is the checked-write path every plan goes through (new problems judged
once, sorted once); `changes` (trades, members), `invoice_plans`, `corrections`
(close, reverse), `fees` (apply-rules), `csvio` (import, export) and `edits`
(members.yaml and rules.yaml by command) each return a validated change that
`coopledger.ledger` applies.

May import: `coopledger.i18n`, model, validation, git, cache, storage, review,
setoff, reporting.
"""
