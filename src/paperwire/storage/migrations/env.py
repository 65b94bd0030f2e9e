"""Alembic environment: runs migrations on the connection paperwire hands over."""

from __future__ import annotations

from alembic import context

from paperwire.storage.schema import is_declared_object, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through `paperwire db upgrade`, which supplies the connection"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=lambda name, _type, _parents: is_declared_object(name),
)
with context.begin_transaction():
    context.run_migrations()
