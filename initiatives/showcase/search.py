"""Full-text search over the public initiatives.

On PostgreSQL: Italian and English stemming (`to_tsvector`), served by the GIN
indexes of migration 0004_showcase_search, ranked by `ts_rank` over the
weighted vectors of migration 0008 (a word in a title weighs more than in
keywords, a summary or a description). When the stemmed search
finds nothing (a typo), each word of the query also matches its near-spellings
among the words of titles and keywords (pg_trgm word similarity on the lexicon
of migration 0005_showcase_search_lexicon, a small table with its own trigram
index that triggers keep up to date), and the stemmed search runs again with
them, on titles and keywords. Each Italian word is also asked for in its
other forms (`italian.forms`, through `italian_tsquery`), which Snowball may
stem apart. On SQLite: every word must appear (case-insensitively), in one of
its forms, in some text field. Both also match organisations (any role) and
people by name, and products, impacts and target groups by their words;
on PostgreSQL, when nothing matches, a misspelt name of a person or an
organisation (`_misspelt_name_matches`).

The document expressions below must stay identical to the indexed ones in
migration 0004, or PostgreSQL stops using the indexes.

Why raw SQL and not the mainstream way: `django.contrib.postgres.search`
(SearchQuery and SearchRank over the stored weighted vectors as a
SearchVectorField with its GIN index; when nothing matches,
TrigramWordSimilarity with the `trigram_word_similar` lookup served by
trigram indexes on the titles, as djangoproject.com's docs/models.py does)
finds the same matches and, for the stemmed search, gives the same ranks;
`make bench-mainstream` (part of `make bench`) times it beside this module inside the
list page. For a typo it misses the 50 ms target for a new request by far
(row "mainstream: list, search 'Mirafori', contrib.postgres search (new
request)"), where the lexicon and its triggers come much nearer to it but
are still at or just over it (row "clever: list, search 'Mirafori', current
(new request)"); so the lexicon stays, and the typo path is the one still to
bring under the target. The stemmed search alone does not justify raw SQL:
the mainstream way is about at the target there (row "mainstream: list,
search 'orti', contrib.postgres search (new request)").
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import ExpressionWrapper, F, FloatField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.dispatch import receiver

from impact.models import Impact, Product
from initiatives.models import Initiative, Participation
from initiatives.showcase import italian
from stakeholders.models import Partnership, TargetGroup

DOCUMENT_COLUMNS = ("title_it", "title_en", "summary_it", "summary_en", "description_it", "description_en", "keywords")
SHORT_COLUMNS = ("title_it", "title_en", "keywords")
CONFIGS = ("italian", "english")
LEXICON_TABLE = "initiative_search_word"
# pg_trgm's default (0.6) misses one-letter typos in a short word, such as
# "Mirafori" for "Mirafiori" (0.58). The threshold is applied by the `<%`
# operator, so the trigram index of the lexicon still serves the lower value.
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


def normalise(query: str) -> str:
    return " ".join(query.split())[:200]


# websearch_to_tsquery's syntax: a quoted phrase, an OR, a word left out.
_ADVANCED_QUERY = re.compile(r'"|(^|\s)-\w|\sor\s', re.IGNORECASE)
# How much a match through another form of a word (`italian.forms`) counts
# beside a match of the word as typed: the form typed ranks first.
OTHER_FORMS_WEIGHT = 0.5


def italian_tsquery(query: str) -> str | None:
    """The text of a `to_tsquery` asking, in Italian, for every word of the
    normalised `query` in any of its forms (`italian.forms`): "(carriera |
    carriere | …) & …". None for a query in websearch_to_tsquery's own syntax
    (a phrase, an OR, a word left out), which is then searched as typed, and
    for a query with no word."""
    if _ADVANCED_QUERY.search(query):
        return None
    groups = [" | ".join(f"'{form}'" for form in italian.forms(word)) for word in italian.words(query)]
    return " & ".join(f"({group})" for group in groups) or None


# The linked records whose text the search also reads, with the columns of
# each: its products and impacts (a GIN index each, migration
# impact/0011_search_linked_records) and its target groups (a small vocabulary).
LINKED_TEXT = {
    Product: ("title", "description"),
    Impact: ("description", "indicator"),
}
TARGET_GROUP_COLUMNS = ("name_it", "name_en")


def _related_matches(query: str) -> list:
    """The ids of the initiatives whose partners (any role) or people match
    the whole query by name, or whose products, impacts or target groups hold
    its words (in any of their forms, as the initiatives' own text: stemmed
    on PostgreSQL), as querysets."""
    partners = (
        Partnership.objects.filter(
            Q(organisation__name__icontains=query) | _words_condition(("organisation__name",), query)
        )
        .values("initiative_id")
        .order_by()
    )
    people = (
        Participation.objects.alias(full_name=Concat(F("person__first_name"), Value(" "), F("person__last_name")))
        .filter(Q(full_name__icontains=query) | Q(person__last_name__icontains=query))
        .values("initiative_id")
        .order_by()
    )
    through = Initiative.target_groups.through
    if connection.vendor == "postgresql":
        tsquery = italian_tsquery(query)
        search = (
            SearchQuery(tsquery, config="italian", search_type="raw")
            if tsquery
            else SearchQuery(query, config="italian", search_type="websearch")
        )
        linked = [
            model.objects.annotate(document=SearchVector(*columns, config="italian")).filter(document=search)
            for model, columns in LINKED_TEXT.items()
        ]
        groups = TargetGroup.objects.annotate(document=SearchVector(*TARGET_GROUP_COLUMNS, config="italian")).filter(
            document=search
        )
    else:
        linked = [model.objects.filter(_words_condition(columns, query)) for model, columns in LINKED_TEXT.items()]
        groups = TargetGroup.objects.filter(_words_condition(TARGET_GROUP_COLUMNS, query))
    linked = [records.values("initiative_id").order_by() for records in linked]
    target_groups = through.objects.filter(targetgroup__in=groups.values("id")).values("initiative_id").order_by()
    return [partners, people, *linked, target_groups]


def _misspelt_name_matches(query: str):
    """PostgreSQL, when nothing else matched: the ids of the initiatives with
    a person or an organisation whose name is a near-spelling of `query`
    ("Ferero", "Legambinte": pg_trgm's word similarity of what was typed
    within a surname or a name)."""
    people = Participation.objects.filter(person__last_name__trigram_word_similar=query)
    partners = Partnership.objects.filter(organisation__name__trigram_word_similar=query)
    return people.values("initiative_id").order_by().union(partners.values("initiative_id").order_by())


def _words_condition(columns, query: str) -> Q:
    """Every word of `query`, in one of its forms (`italian.forms`), is in
    one of `columns` (case-insensitively): the search on SQLite, and of the
    organisations' names (`Città di Torino` for "citta torino")."""
    condition = Q()
    for word in italian.words(query):
        any_field = Q()
        for form in italian.forms(word):
            for column in columns:
                any_field |= Q(**{f"{column}__icontains": form})
        condition &= any_field
    return condition


def search_rank(query: str):
    """An expression to order the matches of `query` by, higher first; None
    where the database offers no ranking (SQLite)."""
    query = normalise(query)
    if not query or connection.vendor != "postgresql":
        return None
    tsquery = italian_tsquery(query)
    return ExpressionWrapper(
        RawSQL(rank_sql(forms=bool(tsquery)), _rank_params(query, tsquery)), output_field=FloatField()
    )


def _rank_params(query: str, tsquery: str | None) -> list[str]:
    return [*[query] * len(CONFIGS), *([tsquery] if tsquery else [])]


# The weighted vectors of migration 0008, one per configuration: a word found
# in a title weighs most, then keywords, summaries and descriptions.
RANK_VECTOR_COLUMNS = {config: f"search_rank_{config}" for config in CONFIGS}


def rank_sql(tsquery: str = "websearch_to_tsquery({config}, %s)", forms: bool = False) -> str:
    """The rank of an initiative for the text search query `tsquery` (SQL
    building it from the configuration name `{config}`): the better of its
    Italian and English ranks, each ts_rank over the weighted vector (length
    normalised, so that a long description does not outweigh a title). With
    `forms`, also the Italian rank for the words in any of their forms (a
    further parameter: `italian_tsquery`), weighed less."""
    table = Initiative._meta.db_table
    ranks = [
        f'ts_rank("{table}"."{column}", {tsquery.format(config=f"{config!r}::regconfig")}, 1)'
        for config, column in RANK_VECTOR_COLUMNS.items()
    ]
    if forms:
        column = RANK_VECTOR_COLUMNS["italian"]
        ranks.append(f'{OTHER_FORMS_WEIGHT} * ts_rank("{table}"."{column}", {_ITALIAN_FORMS_TSQUERY}, 1)')
    return f"GREATEST({', '.join(ranks)})"


_ITALIAN_FORMS_TSQUERY = "to_tsquery('italian'::regconfig, %s)"


def _stemmed_conditions(tsquery: str, document: str = "", forms: bool = False) -> list[str]:
    """The document (the indexed one, or the SQL `document`) matches
    `tsquery` (SQL building a text search query from the configuration name
    `{config}`) in Italian or in English; with `forms`, in Italian the words
    in any of their forms instead (a parameter: `italian_tsquery`): one
    condition per language."""
    conditions = []
    for config in CONFIGS:
        regconfig = f"'{config}'::regconfig"
        vector = f"to_tsvector({regconfig}, {document})" if document else vector_sql(config)
        query = _ITALIAN_FORMS_TSQUERY if forms and config == "italian" else tsquery.format(config=regconfig)
        conditions.append(f"{vector} @@ {query}")
    return conditions


def _stemmed_sql(tsquery: str, document: str = "", forms: bool = False) -> str:
    """`_stemmed_conditions`, as one OR."""
    return " OR ".join(_stemmed_conditions(tsquery, document, forms))


# The near-spellings of each word of the query, as one text search query: an
# AND of the words, each an OR of itself and the lexicon words similar to it,
# all quoted as lexemes (the lexicon and the query are split by the same
# 'simple' configuration; words holding a quote or a backslash are left out,
# so that quoting them is safe). `typed.word <% lexicon.word` is pg_trgm's word
# similarity, which the lexicon's trigram index serves.
_NEAR_SPELLINGS_SQL = f"""
    SELECT string_agg(alternatives, ' & ') FROM (
        SELECT '(' || string_agg(DISTINCT '''' || spelling || '''', ' | ') || ')' AS alternatives
        FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, %s))) AS typed (word)
        CROSS JOIN LATERAL (
            SELECT typed.word AS spelling
            UNION SELECT lexicon.word FROM "{LEXICON_TABLE}" AS lexicon WHERE typed.word <%% lexicon.word
        ) AS spellings
        WHERE strpos(spelling, '''') = 0 AND strpos(spelling, E'\\\\') = 0
        GROUP BY typed.word
    ) AS words
"""


def matches_sql(query: str) -> tuple[str, list]:
    """PostgreSQL: the statement giving (id, rank) for each initiative that
    matches the normalised `query` by text, partner or person (a match by
    name only ranks 0)."""
    # The text match is its own subquery on the bare table, where the
    # unqualified columns make exactly the indexed expressions, so that
    # PostgreSQL reads the GIN indexes instead of computing to_tsvector for
    # every row. The near-spellings only run when the stemmed search finds
    # nothing (a typo): the one-time filter skips them otherwise. Typos are
    # forgiven in titles and keywords only, where the lexicon comes from: the
    # indexed document finds the candidates (it holds titles and keywords, so
    # the test is implied), titles and keywords are then tested on those alone.
    # Each match comes with its rank (`rank_sql`), read from the rows the
    # match reads anyway.
    table = Initiative._meta.db_table
    forms = italian_tsquery(query)
    # Each language's match is its own branch of a UNION, read from its GIN
    # index: as one OR, the planner (which takes to_tsvector for cheap) reads
    # the whole table instead once the Italian forms widen its estimate (19 ms
    # before the forms, 924 ms with them in one OR, at 10,000 initiatives).
    stemmed = " UNION ".join(
        f'SELECT "id" FROM "{table}" WHERE {condition}'
        for condition in _stemmed_conditions("websearch_to_tsquery({config}, %s)", forms=bool(forms))
    )
    stemmed = f'"id" IN ({stemmed})'
    tsquery = 'to_tsquery({config}, (SELECT "text" FROM "corrected"))'
    corrected = f"({_stemmed_sql(tsquery)}) AND ({_stemmed_sql(tsquery, short_document_sql())})"
    sql = (
        f'WITH "stemmed" AS MATERIALIZED (SELECT "id", {rank_sql(forms=bool(forms))} AS "rank"'
        f' FROM "{table}" WHERE {stemmed}),'
        f' "corrected" AS MATERIALIZED (SELECT ({_NEAR_SPELLINGS_SQL.strip()}) AS "text"'
        ' WHERE NOT EXISTS (SELECT 1 FROM "stemmed"))'
        ' SELECT "id", "rank" FROM "stemmed"'
        f' UNION ALL SELECT "id", {rank_sql(tsquery)} AS "rank" FROM "{table}"'
        f' WHERE NOT EXISTS (SELECT 1 FROM "stemmed") AND ({corrected})'
    )
    where = [forms if forms and config == "italian" else query for config in CONFIGS]
    params = [*_rank_params(query, forms), *where, query]
    for n, related in enumerate(_related_matches(query)):
        related_sql, related_params = related.query.sql_with_params()
        sql, params = f'{sql} UNION ALL SELECT *, 0.0 FROM ({related_sql}) AS "related{n}"', [*params, *related_params]
    return f'SELECT "id", MAX("rank") FROM ({sql}) AS "matches" GROUP BY "id"', params


def ranked_matches(queryset, query: str) -> dict[int, float]:
    """The initiatives matching `query` (by text, partner or person), with
    their rank, higher first (`search_rank`; 0 on SQLite, which offers none).
    On PostgreSQL the ids are read without going back to the initiatives of
    `queryset`, which may then hold ids it does not: the caller keeps its own."""
    query = normalise(query)
    if not query:
        return {}
    if connection.vendor != "postgresql":
        return dict.fromkeys(_search_simple(queryset, query).order_by().values_list("id", flat=True), 0.0)
    with connection.cursor() as cursor:
        cursor.execute(*matches_sql(query))
        found = {pk: float(rank) for pk, rank in cursor.fetchall()}
    if not found:
        found = dict.fromkeys(_misspelt_name_matches(query).values_list("initiative_id", flat=True), 0.0)
    return found


def _search_simple(queryset, query: str):
    condition = _words_condition(DOCUMENT_COLUMNS, query)
    for related in _related_matches(query):
        condition |= Q(id__in=related)
    return queryset.filter(condition)
