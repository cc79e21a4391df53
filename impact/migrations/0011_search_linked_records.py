"""Full-text indexes on the products' and impacts' text, which the showcase
search reads beside the initiatives' own (PostgreSQL only).

The expressions must stay identical to those Django builds for
`SearchVector(*columns, config="italian")` in initiatives/showcase/search.py
(`LINKED_TEXT`), or PostgreSQL stops using the indexes. On SQLite nothing
happens: the search matches words there.
"""

from django.db import migrations

INDEXES = {
    "product_search_italian": ("impact_product", ("title", "description")),
    "impact_search_italian": ("impact_impact", ("description", "indicator")),
}


def _document(columns) -> str:
    return " || ' ' || ".join(f"COALESCE(\"{column}\", '')" for column in columns)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (to_tsvector('italian'::regconfig, {_document(columns)}))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("impact", "0010_import_job_confirmation_choices"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
