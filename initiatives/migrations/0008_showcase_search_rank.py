"""Weighted text search vectors of each initiative, for ranking the matches of
a search (PostgreSQL only).

Two generated columns, one per configuration (Italian and English stemming),
weigh where a word is found: title A, keywords B, summary C, description D.
`ts_rank` then reads them for the few hundred matches of a query instead of
building every vector again (about 25 ms for a thousand matches). PostgreSQL
keeps them up to date whatever writes the table; Django does not know them
(they are not model fields), so no query of the ORM reads or writes them.

The expressions must stay those of `RANK_VECTOR_COLUMNS` in
initiatives/search.py. On SQLite nothing happens, as in 0004.
"""

from django.db import migrations

TABLE = "initiatives_initiative"
PARTS = (
    (("title_it", "title_en"), "A"),
    (("keywords",), "B"),
    (("summary_it", "summary_en"), "C"),
    (("description_it", "description_en"), "D"),
)


def vector(config: str) -> str:
    return " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, "
        + " || ' ' || ".join(f"COALESCE(\"{column}\", '')" for column in columns)
        + f"), '{weight}')"
        for columns, weight in PARTS
    )


COLUMNS = {f"search_rank_{config}": vector(config) for config in ("italian", "english")}


def add_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in COLUMNS.items():
        schema_editor.execute(
            f'ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS "{name}" tsvector GENERATED ALWAYS AS ({expression}) STORED'
        )


def drop_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in COLUMNS:
        schema_editor.execute(f'ALTER TABLE {TABLE} DROP COLUMN IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0007_person_language"),
    ]

    operations = [
        migrations.RunPython(add_columns, drop_columns),
    ]
