"""Scrapy's own commands as kgnews needs them (COMMANDS_MODULE): `scrapy crawl news`
says a mistake in one line and fails when a source could not be reached, as `kgnews
crawl` does."""
