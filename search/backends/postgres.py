"""
Wagtail's PostgreSQL search, without the costs that grew with the number of posts
(measured on 10,000 posts of about 20 KB each: docs/benchmarks.md, "At scale", item 6).

Wagtail matches a post when its index entry's ``title || body`` matches the query, selects
that joined vector with every result, and orders the matches by a rank read from both
vectors of every match. At that size:

1. No index served ``title || body``, so every search read and joined both vectors of
   every entry, whatever it looked for. Migration ``search/0001`` adds that index, and the
   match here is the same expression, so a word found in one post costs one post's work.
   The planner still preferred reading every entry for a word found in most posts (it does
   not count TOAST reads), so the search's queries run with sequential scans off.
2. The joined vector was selected, so PostgreSQL built it (some 10 KB) for every match
   before sorting them, to return ten. It is only matched here (``alias``), never selected.
3. Ranking reads every matching body out of TOAST and decompresses it: for a word found
   in thousands of posts that is most of the search. Bodies are ranked only when the
   matches are few (the backend option ``RANK_BODIES_UP_TO``); past that, matches are
   ordered by how well their title matches, then the most recently created first.
   Wagtail's weights put every title match far above every body-only match (the title's
   boost of 2 gets weight B, 0.21; the body, without a boost, D, 0.0099), so the posts
   with the words in their title come first either way. What changes is the order of the
   posts that have them in their body only: from "mentions them most" to "newest".

A page of a search that was not counted first is read as its keys, ranked by titles, with
the number of matches counted in the same query; the objects follow by their keys. Only
when that count is small is the page read again, its bodies ranked. A search counted first
(by Django's paginator, say) is counted once, and its pages are ranked as the count says.
"""

from contextlib import contextmanager

from django.db import ProgrammingError, connections, transaction
from django.db.models import Count, F, Window

from wagtail.search.backends.database.postgres import postgres
from wagtail.search.query import Fuzzy, MatchAll, Not

#: Ranking a body costs about 60 µs (a TOAST read and a decompression; measured at load
#: average 7 on 2 cores), so 300 keep a ranked search within about 20 ms.
DEFAULT_RANK_BODIES_UP_TO = 300
#: The window count's name among a ranked page's columns.
MATCH_COUNT = "_match_count_"


def joined(vectors):
    """Wagtail's one vector of several: ``title || body``, as the index is built on it."""
    combined_vector = vectors[0][0]
    for vector, _boost in vectors[1:]:
        combined_vector = combined_vector._combine(vector, "||", False)
    return combined_vector


class PostgresSearchQueryCompiler(postgres.PostgresSearchQueryCompiler):
    #: How many entries match, once the results have been counted.
    match_count = None

    def matches_index_vectors(self):
        """False for the queries Wagtail answers without the index's vectors."""
        return not (
            isinstance(self.query, (MatchAll, Fuzzy))
            or (isinstance(self.query, Not) and isinstance(self.query.subquery, MatchAll))
        )

    def may_rank_bodies(self, scored):
        """Whether ordering (or scoring) these results would read every match's body."""
        return (
            self.fields is None
            and self.matches_index_vectors()
            and (self.order_by_relevance or scored)
        )

    def rank_vectors(self, vectors, rank_bodies):
        """The vectors the rank reads: all of Wagtail's, or the title's alone."""
        if rank_bodies or self.fields is not None:
            return vectors
        return [(F("index_entries__title"), F("index_entries__title_norm"))]

    def matching_entries(self, vectors, search_query):
        """The index entries that match, as a subquery on the index table alone.

        Matched in the join with the pages instead, the planner could reach the entries by
        their content type index and test each one (decompressing every body) rather than
        ask the title-and-body index: searching every page type through the v3 API did,
        1.2 s and 37,000 buffers for a common word, against 97 ms and 1,200 this way.
        """
        entry_vectors = [
            (F(vector.name.removeprefix("index_entries__")), boost) for vector, boost in vectors
        ]
        return (
            postgres.IndexEntry._default_manager.alias(_vector_=joined(entry_vectors))
            .filter(_vector_=search_query)
            .values("pk")
        )

    def search(self, config, start, stop, score_field=None, backend=None, rank_bodies=True):
        if not self.matches_index_vectors():
            return super().search(config, start, stop, score_field=score_field, backend=backend)

        search_query = self.build_tsquery(self.query, config=config)
        vectors = self.get_search_vectors(search_query)
        rank_expression = self._build_rank_expression(
            self.rank_vectors(vectors, rank_bodies), config
        )
        if self.fields is None:
            queryset = self.queryset.filter(
                index_entries__in=self.matching_entries(vectors, search_query)
            )
        else:
            queryset = self.queryset.alias(_vector_=joined(vectors)).filter(_vector_=search_query)
        return self._apply_ordering_and_scoring(queryset, rank_expression, start, stop, score_field)


class PostgresAutocompleteQueryCompiler(
    PostgresSearchQueryCompiler, postgres.PostgresAutocompleteQueryCompiler
):
    """Autocomplete ranks its own small vector (titles and names), never a body."""

    def may_rank_bodies(self, scored):
        return False

    def rank_vectors(self, vectors, rank_bodies):
        return vectors


class PostgresSearchResults(postgres.PostgresSearchResults):
    """Slices of one search share its compiler, so they share its count through it."""

    @contextmanager
    def served_by_the_index(self, queryset):
        """Sequential scans off for this search's own queries, in a transaction (or a
        savepoint) of their own that is rolled back, so the setting never outlives them.

        PostgreSQL's planner does not count reading values out of TOAST: for a word found
        in most posts it prefers reading every entry, decompressing every body to join it
        to its title, to the index, which answers without reading a body (counting a word
        found in all 10,000 posts: 37,000 buffers and 1.2 s that way, 1,200 and 90 ms
        through the index, both at load average 11-19 on 2 cores).
        """
        if not self.query_compiler.matches_index_vectors():
            yield
            return
        with transaction.atomic(using=queryset.db):
            with connections[queryset.db].cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
            yield
            transaction.set_rollback(True, using=queryset.db)

    def _do_count(self):
        if self.query_compiler.match_count is None:
            everything = self._clone()
            everything.start, everything.stop = 0, None
            queryset = everything.get_queryset()
            try:
                with self.served_by_the_index(queryset):
                    self.query_compiler.match_count = queryset.count()
            except ProgrammingError as error:
                self._handle_missing_postgres_extension(error)
        match_count = self.query_compiler.match_count
        stop = match_count if self.stop is None else min(self.stop, match_count)
        return max(stop - self.start, 0)

    def get_queryset(self, rank_bodies=True):
        return self.query_compiler.search(
            self.query_compiler.get_config(self.backend),
            self.start,
            self.stop,
            score_field=self._score_field,
            backend=self.backend,
            rank_bodies=rank_bodies,
        )

    def rows_ranked_by_titles(self):
        """This slice's keys in the order of their titles' rank, each with its score (when
        one was asked for) and the number of matches in all: one query, whose window count
        spares the paginator a count of its own.

        Keys only, because the sort and the count carry every match's row: with every
        column of the page (and a pointer to its 20 KB body), a common word's page took
        20 ms (10,000 matches), against 11 ms for the keys and the count together.
        """
        queryset = self.get_queryset(rank_bodies=False).annotate(
            **{MATCH_COUNT: Window(Count("*"))}
        )
        score = [self._score_field] if self._score_field is not None else []
        try:
            with self.served_by_the_index(queryset):
                rows = list(queryset.values_list("pk", *score, MATCH_COUNT))
        except ProgrammingError as error:
            self._handle_missing_postgres_extension(error)
        if rows:
            self.query_compiler.match_count = rows[0][-1]
        elif self.start == 0:
            self.query_compiler.match_count = 0
        return rows

    def in_rank_order(self, rows):
        """The objects of the ranked keys, read by their primary keys and in the rank's order.
        One that stopped matching the queryset between the two reads (unpublished) is left out.
        """
        objects = self.query_compiler.queryset.in_bulk([pk for pk, *_ in rows])
        results = []
        for pk, *score, _match_count in rows:
            if pk not in objects:
                continue
            if score:
                setattr(objects[pk], self._score_field, score[0])
            results.append(objects[pk])
        return results

    def _do_search(self):
        """Keys ranked by titles, then their objects, unless the matches are known to be few
        (or the order reads no rank): then Wagtail's one query, bodies ranked and all."""
        if self.stop is not None and self.stop <= self.start:
            return []  # an empty page (of a search that found nothing): nothing to ask
        scored = self._score_field is not None
        if self.query_compiler.may_rank_bodies(scored) and not self.few_matches():
            rows = self.rows_ranked_by_titles()
            if not (rows and self.few_matches()):
                return self.in_rank_order(rows)
        queryset = self.get_queryset(rank_bodies=True)
        try:
            with self.served_by_the_index(queryset):
                return list(queryset)
        except ProgrammingError as error:
            self._handle_missing_postgres_extension(error)

    def few_matches(self):
        """Whether the matches are counted, and few enough to rank their bodies."""
        match_count = self.query_compiler.match_count
        return match_count is not None and match_count <= self.backend.rank_bodies_up_to


class PostgresSearchBackend(postgres.PostgresSearchBackend):
    query_compiler_class = PostgresSearchQueryCompiler
    autocomplete_query_compiler_class = PostgresAutocompleteQueryCompiler
    results_class = PostgresSearchResults

    def __init__(self, params):
        super().__init__(params)
        self.rank_bodies_up_to = params.get("RANK_BODIES_UP_TO", DEFAULT_RANK_BODIES_UP_TO)
