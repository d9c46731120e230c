"""Persistence: SQLAlchemy 2 models on a local SQLite file, migrations, store services."""
