"""The files of a new cooperative: `init`'s scaffold, CI templates, the demo generator.

May import: model, storage (`journal_text`).
"""
