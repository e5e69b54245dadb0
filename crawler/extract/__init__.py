"""Extraction: pure functions from page bytes (or text) to a clean Article.

Nothing here imports Scrapy or SQLAlchemy.
"""
