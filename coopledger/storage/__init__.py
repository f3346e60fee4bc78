"""Files: reading a cooperative from disk and writing to it safely.

`store` loads and writes under a
lock, all or nothing; `journal_text` is the one insert primitive (the file's own
newline kept, aligned as bean-format aligns); `folders` swaps a whole folder;
`journal_load` reads the open period's many small files with one beancount
parser, giving what beancount's loader gives; `along_closes` judges a cold
full check's closed months in parallel runs, from the openings their closes
carry, and answers only when nothing is wrong.

May import: model, validation, git, cache (`carry`), and `coopledger.plugin`.
"""
