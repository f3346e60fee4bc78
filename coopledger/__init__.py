"""coopledger: the books of an exchange cooperative, as plain text in git.

The package is split by layer, like beancount's: one folder a layer, lowest
first (CONTRIBUTING.md draws them; tests/test_architecture.py keeps them: no
import cycle, no import upwards or sideways; each folder's `__init__` says what
it may import):

- `i18n`         the reader's language, numbers and dates (Babel): a leaf
- `model/`       money, members, rules, journal, closing, invoices, limits...:
                 values and pure functions; problems as values
- `validation/`  every rule of the ledger, returning problems
- `language/`    the words users read: messages and remedies, counts, help pages
- `git/`         the only module that runs git
- `plugin`       the same checks inside bean-check and fava
- `cache/`       what a previous read knew, reused while the files match
- `storage/`     loading from disk, locking, the one insert primitive
- `review/`      the pull-request gate; `reporting/` reports as figures;
  `setoff/`      the clearing solver; `founding/` init's files and the demo
- `plans/`       every write planned and checked (`plans.writes`)
- `intergroup/`  partners, trust lines, trading between cooperatives
- `ledger`       `Ledger`: the one door to open, view, check, gate and write
- `cli/`         the command line: parse, one call to the core, render, exit
- `fava_ext/`    fava's *Cooperative* page, its journal watch and add-entry
                 placing (the [fava] extra): a face, like the command line
"""

__version__ = "0.1.0"
