"""coopledger: the books of an exchange cooperative, as plain text in git.

The package is split by layer, like beancount's: a pure core that knows the
cooperative's model and rules, one module that talks to git, one that touches
files, and a thin command-line face (`coopledger.cli`) that turns results into
words.

Core modules (no rich, no typer, no words for users):

- `money`      amounts as Decimals with the currency's precision
- `timeline`   values that change from a date (limits, statuses)
- `yamlfile`   YAML with the line of every key, for precise problems
- `rules`      rules.yaml: currency, limits, enforcement
- `members`    members.yaml: who may trade, with which limits
- `accounts`   member id <-> beancount account
- `journal`    the journal layout and the entries we write
- `checks`     every rule of the ledger, returning problems as values
- `ledger`     a loaded cooperative: entries, members, rules, balances
- `changes`    planning a write: validated text to append, commit message
- `store`      loading from disk, locking, atomic writes
- `gitrepo`    the only module that talks to git
- `plugin`     the same checks inside bean-check and fava
"""

__version__ = "0.1.0"
