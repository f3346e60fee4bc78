"""Every rule of the ledger, as pure functions returning problems.

`checks` judges a loaded ledger (the same rules before every write, in
`coopledger check` and inside bean-check and fava through `coopledger.plugin`);
`loader_inputs` says which files beancount may read; `journal_mistakes` tells
hand-written mistakes in the writer's terms.

May import: `coopledger.model`.

Never the cache, the files, the plans, git or the command line.
"""
