from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """SQLite cannot split a text in SQL: the ANVUR report's keywords cell
    calls Python (PostgreSQL does it in SQL; see impact.anvur)."""
    if connection.vendor == "sqlite":
        from .anvur import keywords_cell

        connection.connection.create_function("pops_anvur_keywords", 1, keywords_cell, deterministic=True)


class ImpactConfig(AppConfig):
    name = "impact"
    verbose_name = _("Impact")

    def ready(self):
        connection_created.connect(register_sqlite_functions, dispatch_uid="impact-sqlite-functions")
