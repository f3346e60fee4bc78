"""coopledger: the books of an exchange cooperative, as plain text in git.

The package is split by layer, like beancount's: a pure core that knows the
cooperative's model and rules, one module that talks to git, one that touches
files, and a thin command-line face (`coopledger.cli`) that turns results into
words.

The layers, lowest first (CONTRIBUTING.md draws them; tests/test_architecture.py
keeps them: no import cycle, no import upwards):

Model and checks (values and pure functions, no rich, no typer, no git):

- `money`      amounts as Decimals with the currency's precision
- `timeline`   values that change from a date (limits, statuses)
- `yamlfile`   YAML with the line of every key, for precise problems
- `rules`      rules.yaml: currency, limits, enforcement
- `members`    members.yaml: who may trade, with which limits
- `accounts`   member id <-> beancount account
- `journal`    the journal layout and the entries we write
- `paths`      file names as problems show them; `days`: a member's day balance
- `invoices`   invoices, settlements, clearings in the journal, and their rules
- `closing`    closed months: balances and fingerprints
- `checks`     every rule of the ledger, returning problems as values

Caches, files and the store:

- `snapshot`   what a previous read knew, reused while the files match
- `store`      loading from disk, locking, atomic writes
- `gitrepo`    the only module that talks to git
- `plugin`     the same checks inside bean-check and fava
- `fava_ext`   fava's *Cooperative* page, its journal watch and add-entry placing ([fava] extra)

Planning writes:

- `writes`     the checked-write path every write goes through
- `changes`    trades and members; `invoice_plans`, `corrections`, `fees`,
               `csvio`: the other writes, each a validated `Change`

The door:

- `ledger`     `Ledger`: open a cooperative, view, check, gate, record
- `gatekeeper` the pull-request gate's reading of git
- `cli`        the command line: parse, one call to the core, render, exit
"""

__version__ = "0.1.0"
