"""A covering index of the public initiatives (PostgreSQL only).

Every count of the showcase restricts to the published originals, often with
scale, start year or status, and the home page picks the featured ones: this
partial index holds their ids with those columns, so that PostgreSQL reads
them from a few index pages (an index-only scan, once vacuumed) instead of the
whole initiative table, whose rows carry long descriptions.

The condition must stay the one of `public_initiatives()` in
initiatives/filters.py, or PostgreSQL stops using the index. On SQLite nothing
happens, as in 0004.
"""

from django.db import migrations

NAME = "initiative_public_covering"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {NAME} ON initiatives_initiative (id)"
    " INCLUDE (scale, start_date, end_date, featured, published_at)"
    " WHERE state = 'published' AND revision_of_id IS NULL"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0005_showcase_search_lexicon"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
