"""Speed behind one interface: what a previous read knew, reused while the files match.

`snapshot` keeps the validated state (balances, fingerprints, monthly figures),
`carry` the closed months carried forward, `aggregates` the per-month figures,
`cachefiles` a JSON format that runs no code. Only `coopledger.ledger` chooses a
route through them, and says why a faster one was skipped (`--verbose`).

May import: model, validation, git (to key on commits).
"""
