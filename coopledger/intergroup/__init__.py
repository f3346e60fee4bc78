"""Trading between cooperatives: partners, trust lines, mirrored entries, clearing among groups.

`partners` reads partners.yaml; `federation` records inter-group trades, syncs a
partner's repository with git, compares both books and clears among groups.

May import: model, validation, git, storage, plans, setoff, and founding (the demo
generator, which `federation_demo` extends to many groups).
"""
