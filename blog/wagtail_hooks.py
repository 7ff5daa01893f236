from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Author


class AuthorViewSet(SnippetViewSet):
    model = Author
    icon = "user"
    menu_label = "Authors"
    list_display = ["name", "credentials"]
    search_fields = ["name"]
    add_to_admin_menu = False


register_snippet(AuthorViewSet)
