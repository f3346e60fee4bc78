"""Git, and only here: `gitrepo` is the one module that runs git.

Commits, diffs, the write lock in git's own folder, identities (`git var`), the
content keys the cache is keyed on. Every other package asks it; none runs git.

May import: `coopledger.model` (problems).
"""
