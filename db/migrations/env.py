"""Alembic environment: always run from code with a connection in config.attributes."""
from alembic import context

from db.models import full_metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - alembic CLI use is not supported
    raise RuntimeError("Run migrations through db.migrate.upgrade()")

context.configure(connection=connection, target_metadata=full_metadata(), render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
