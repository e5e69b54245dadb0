"""The SQL archive: models, engine setup, migrations and the versioning rules."""
