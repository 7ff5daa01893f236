"""
The API's ``search=`` parameter, made safe before Wagtail's v2 and v3 endpoints see it.

Both hand the text to the search backend as it came, and the database backends pass
parts of it to the engine's own syntax: on SQLite an unmatched quote or a NUL byte is an
FTS5 syntax error (a 500), and text that is only whitespace builds no query at all. The
reader's search page cleans its query in ``search.query``; this gives the API the same
cleaning, in one place for every endpoint that searches.
"""

from .query import clean_query_text

API_PATH_PREFIX = "/api/"


def safe_api_search_text(raw):
    """Control characters and surplus whitespace removed; quotes kept only when balanced."""
    text = clean_query_text(raw)
    if text.count('"') % 2:
        text = " ".join(text.replace('"', " ").split())
    return text


class APISearchQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PATH_PREFIX) and "search" in request.GET:
            query = request.GET.copy()
            query.setlist("search", [safe_api_search_text(v) for v in query.getlist("search")])
            query._mutable = False
            request.GET = query
        return self.get_response(request)
