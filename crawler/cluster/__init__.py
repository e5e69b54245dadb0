"""Crawl nodes on Scrapyd sharing one archive: the project egg, and scheduling sources
over the nodes (docs/scaling.md)."""
