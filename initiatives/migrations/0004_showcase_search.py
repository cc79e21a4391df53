"""Full-text search indexes for the public showcase (PostgreSQL only).

The expressions must stay identical to those built in initiatives/search.py.
On SQLite nothing happens: the showcase falls back to a simple match there.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

TABLE = "initiatives_initiative"
DOCUMENT = " || ' ' || ".join(
    f"COALESCE(\"{c}\", '')"
    for c in ("title_it", "title_en", "summary_it", "summary_en", "description_it", "description_en", "keywords")
)
SHORT = " || ' ' || ".join(f"COALESCE(\"{c}\", '')" for c in ("title_it", "title_en", "keywords"))

INDEXES = {
    "initiative_search_italian": f"USING gin (to_tsvector('italian'::regconfig, {DOCUMENT}))",
    "initiative_search_english": f"USING gin (to_tsvector('english'::regconfig, {DOCUMENT}))",
    "initiative_search_trigram": f"USING gin (({SHORT}) gin_trgm_ops)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0003_census"),
    ]

    operations = [
        # CreateExtension does nothing on databases other than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
