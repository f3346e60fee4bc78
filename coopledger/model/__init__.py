"""The cooperative's model: values and pure functions, nothing else.

Money, members, rules, partners' trust lines are read here from their YAML with
the line of every key; the journal's layout and the entries the tool writes;
closed months; invoices; the limits in force on a day. Problems are values
(`problems`), never printed here.

May import: the standard library, beancount's data types, PyYAML, and
`coopledger.i18n` (the languages rules.yaml may name).

Nothing above it: the rules of the ledger, caches, files, git, plans and the
command line all build on the model, never the other way.
"""
