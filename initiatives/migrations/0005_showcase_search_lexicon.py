"""Typo tolerance through a lexicon (PostgreSQL only).

The words of the initiatives' titles and keywords, once each, in a small table
with a trigram index: a misspelt query word finds its near-spellings there in
a fraction of a millisecond (`word <% lexicon.word`), where pg_trgm on the
titles themselves (the `initiative_search_trigram` index of 0004, dropped
here) had every matching title rechecked or the whole table scanned. Two
statement-level triggers add the words of every inserted or updated initiative,
whatever writes it (admin, bulk imports, `QuerySet.update`); words are never
removed, and a stale one only offers a spelling that matches nothing.

The document expression must stay identical to SHORT_COLUMNS in
initiatives/search.py. On SQLite nothing happens, as in 0004.
"""

from django.db import migrations

TABLE = "initiatives_initiative"
LEXICON = "initiative_search_word"
SHORT = " || ' ' || ".join(f"COALESCE(changed.\"{c}\", '')" for c in ("title_it", "title_en", "keywords"))
OLD_TRIGRAM_INDEX = "initiative_search_trigram"
OLD_TRIGRAM_DEFINITION = "USING gin ((" + SHORT.replace("changed.", "") + ") gin_trgm_ops)"

# The words of the rows in "changed", as the 'simple' configuration splits
# them (lower case, no stemming), leaving out bare numbers.
COLLECT = f"""
    INSERT INTO {LEXICON} (word)
    SELECT DISTINCT word
    FROM {{source}} AS changed, unnest(tsvector_to_array(to_tsvector('simple'::regconfig, {SHORT}))) AS word
    WHERE word !~ '^[0-9]+$'
    ON CONFLICT DO NOTHING
"""

CREATE = [
    f"CREATE TABLE IF NOT EXISTS {LEXICON} (word text PRIMARY KEY)",
    f"CREATE INDEX IF NOT EXISTS {LEXICON}_trigram ON {LEXICON} USING gin (word gin_trgm_ops)",
    f"""
    CREATE OR REPLACE FUNCTION {LEXICON}_collect() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {COLLECT.format(source="changed_rows")};
        RETURN NULL;
    END
    $$
    """,
    # PostgreSQL allows transition tables on triggers of one event each.
    *(
        f"CREATE TRIGGER {LEXICON}_on_{event.lower()} AFTER {event} ON {TABLE}"
        f" REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION {LEXICON}_collect()"
        for event in ("INSERT", "UPDATE")
    ),
    COLLECT.format(source=TABLE),
    f"DROP INDEX IF EXISTS {OLD_TRIGRAM_INDEX}",
]

DROP = [
    f"CREATE INDEX IF NOT EXISTS {OLD_TRIGRAM_INDEX} ON {TABLE} {OLD_TRIGRAM_DEFINITION}",
    *(f"DROP TRIGGER IF EXISTS {LEXICON}_on_{event} ON {TABLE}" for event in ("insert", "update")),
    f"DROP FUNCTION IF EXISTS {LEXICON}_collect()",
    f"DROP TABLE IF EXISTS {LEXICON}",
]


def create_lexicon(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in CREATE:
        schema_editor.execute(statement)


def drop_lexicon(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0004_showcase_search"),
    ]

    operations = [
        migrations.RunPython(create_lexicon, drop_lexicon),
    ]
