"""Full-text search over the public initiatives.

On PostgreSQL: Italian and English stemming (`to_tsvector`), ranking
(`ts_rank`), and typo tolerance through trigram word similarity (pg_trgm) on
titles and keywords, all served by the GIN indexes of migration
0004_showcase_search. On SQLite: every word must appear (case-insensitively)
in some text field. Both also match partner organisations and people by name.

The document expressions below must stay identical to the indexed ones in the
migration, or PostgreSQL stops using the indexes.
"""

from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import ExpressionWrapper, F, FloatField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.dispatch import receiver

from stakeholders.models import Partnership

from .models import Initiative, Participation

DOCUMENT_COLUMNS = ("title_it", "title_en", "summary_it", "summary_en", "description_it", "description_en", "keywords")
SHORT_COLUMNS = ("title_it", "title_en", "keywords")
CONFIGS = ("italian", "english")
# pg_trgm's default (0.6) misses one-letter typos in a short word, such as
# "Mirafori" for "Mirafiori" (0.58). The threshold is applied by the operator,
# so the GIN index still serves the lower value.
WORD_SIMILARITY_THRESHOLD = 0.5


@receiver(connection_created)
def _set_word_similarity_threshold(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET pg_trgm.word_similarity_threshold = {WORD_SIMILARITY_THRESHOLD}")


def document_sql(columns=DOCUMENT_COLUMNS, table: str = "") -> str:
    prefix = f'"{table}".' if table else ""
    return " || ' ' || ".join(f"COALESCE({prefix}\"{column}\", '')" for column in columns)


def vector_sql(config: str, table: str = "") -> str:
    return f"to_tsvector('{config}'::regconfig, {document_sql(table=table)})"


def short_document_sql(table: str = "") -> str:
    return f"({document_sql(SHORT_COLUMNS, table)})"


def _related_matches(query: str) -> Q:
    """Initiatives whose partners or people match the whole query by name."""
    partners = Partnership.objects.filter(organisation__name__icontains=query).values("initiative_id")
    people = (
        Participation.objects.alias(full_name=Concat(F("person__first_name"), Value(" "), F("person__last_name")))
        .filter(Q(full_name__icontains=query) | Q(person__last_name__icontains=query))
        .values("initiative_id")
    )
    return Q(id__in=partners) | Q(id__in=people)


def search(queryset, query: str):
    """Filter `queryset` to the initiatives matching `query`; on PostgreSQL also
    annotate `rank` (higher is better)."""
    query = " ".join(query.split())[:200]
    if not query:
        return queryset
    if connection.vendor == "postgresql":
        return _search_postgres(queryset, query)
    return _search_simple(queryset, query)


def _search_postgres(queryset, query: str):
    # The text match is its own subquery on the bare table, where the
    # unqualified columns make exactly the indexed expressions, so that
    # PostgreSQL reads the GIN indexes instead of computing to_tsvector for
    # every row (which an OR with the partner and people subqueries on the
    # outer query forces). The trigram branch only runs when the stemmed search
    # finds nothing (a typo): its one-time filter skips it otherwise, since
    # word similarity costs much more per row than the full-text indexes.
    table = Initiative._meta.db_table
    italian, english, short = vector_sql("italian"), vector_sql("english"), short_document_sql()
    stemmed = (
        f"({italian} @@ websearch_to_tsquery('italian'::regconfig, %s)"
        f" OR {english} @@ websearch_to_tsquery('english'::regconfig, %s))"
    )
    text_matches = RawSQL(
        f'WITH "stemmed" AS MATERIALIZED (SELECT "id" FROM "{table}" WHERE {stemmed})'
        ' SELECT "id" FROM "stemmed"'
        f' UNION ALL SELECT "id" FROM "{table}" WHERE {short} %%> %s AND NOT EXISTS (SELECT 1 FROM "stemmed")',
        [query, query, query],
    )
    # Titles and keywords that contain the query come first. A cheap test on
    # purpose: ts_rank or word_similarity on every matching row would cost
    # more than the search itself.
    rank = RawSQL(f"(CASE WHEN strpos(lower({short}), lower(%s)) > 0 THEN 1.0 ELSE 0.0 END)", [query])
    return queryset.filter(Q(id__in=text_matches) | _related_matches(query)).annotate(
        rank=ExpressionWrapper(rank, output_field=FloatField())
    )


def _search_simple(queryset, query: str):
    condition = Q()
    for word in query.split():
        any_field = Q()
        for column in DOCUMENT_COLUMNS:
            any_field |= Q(**{f"{column}__icontains": word})
        condition &= any_field
    return queryset.filter(condition | _related_matches(query))
