"""Signal receivers of the impact app, connected in `ImpactConfig.ready()`."""

from django.db.backends.signals import connection_created
from django.dispatch import receiver

from impact.anvur import keywords_cell


@receiver(connection_created, dispatch_uid="impact-sqlite-functions")
def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """SQLite cannot split a text in SQL: the ANVUR report's keywords cell
    calls Python (PostgreSQL does it in SQL; see impact.anvur)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("pops_anvur_keywords", 1, keywords_cell, deterministic=True)
