"""`kgnews serve`: the archive in a browser, on Datasette, read-only.

`docs` reads the schema's descriptions and the documented queries, `metadata` turns
them into Datasette's metadata (descriptions, canned queries, full-text search),
`article` builds an article's versions and a word-level diff between two of them, and
`plugin` is the Datasette plugin (the Kyrgyz-aware match functions, the article page,
links to it). Datasette is imported only here and in the command.
"""
