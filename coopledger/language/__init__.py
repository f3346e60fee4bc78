"""The words users read: the reader's language, the catalogue, counts in words.

`messages` holds one message and one remedy per problem code; `i18n` chooses the
language and formats numbers and dates with Babel; `words` says "1 trade";
`helptopics` serves the docs shipped in the package. The core passes typed values
up; only the renderer (the CLI, the plugin's error text) turns them into words.

May import: `coopledger.i18n`, `coopledger.model` (the ids and kinds it words).
"""
