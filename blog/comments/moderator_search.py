"""The moderators' search, shared by the admin's queue and the moderation API."""

from django.db.models import Q


def search_comments(queryset, query):
    """Comments whose author name, email, text or IP address contains ``query``.

    Moderators search for fragments (an email domain, part of an IP address, a phrase a
    spammer repeats), so this matches substrings in the database. Comments are kept out
    of the search index on purpose: it would hold every reader's email, and indexing on
    each new comment would cost every reader's POST a write to it. On PostgreSQL each
    ``icontains`` is answered by a trigram index on the expression it compares
    (migration 0008), instead of a sequential scan of every comment.
    """
    query = (query or "").strip()
    if not query:
        return queryset
    return queryset.filter(
        Q(author_name__icontains=query)
        | Q(author_email__icontains=query)
        | Q(body__icontains=query)
        | Q(ip_address__icontains=query)
    )
