"""Sources are data: TOML files that describe each news site, and their loader."""
