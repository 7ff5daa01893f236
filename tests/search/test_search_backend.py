"""The search backend: the database's own full-text search, or Elasticsearch/OpenSearch
when SEARCH_BACKEND_URL is set."""

import json

from tests.cms.test_settings import run_manage

PRINT_BACKENDS = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.WAGTAILSEARCH_BACKENDS))"
)


def search_backends(**env):
    result = run_manage("shell", "-c", PRINT_BACKENDS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_database_search_by_default():
    """Wagtail's database backend, through search.backends for its PostgreSQL queries."""
    assert search_backends(SEARCH_BACKEND_URL="") == {
        "default": {"BACKEND": "search.backends", "SEARCH_CONFIG": "english"}
    }


def test_search_backend_url_switches_to_elasticsearch():
    backend = search_backends(SEARCH_BACKEND_URL="https://user:secret@search.example.org:9200")[
        "default"
    ]
    assert backend["BACKEND"] == "wagtail.search.backends.elasticsearch9"
    assert backend["URLS"] == ["https://user:secret@search.example.org:9200"]
    assert backend["INDEX_PREFIX"] == "evidence_notes_"


def test_search_backend_names_the_engine():
    backend = search_backends(
        SEARCH_BACKEND_URL="http://a:9200,http://b:9200", SEARCH_BACKEND="opensearch3"
    )["default"]
    assert backend["BACKEND"] == "wagtail.search.backends.opensearch3"
    assert backend["URLS"] == ["http://a:9200", "http://b:9200"]


def test_unknown_engine_is_refused_with_a_clear_message():
    result = run_manage("check", SEARCH_BACKEND_URL="http://a:9200", SEARCH_BACKEND="solr")
    assert result.returncode != 0
    assert "SEARCH_BACKEND='solr' is not a search engine Wagtail supports" in result.stderr
