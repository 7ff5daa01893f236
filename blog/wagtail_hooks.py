from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Author


class AuthorChooserViewSet(SnippetChooserViewSet):
    """The chooser a post's Authors panel opens: search the authors, or create one in the
    same modal without leaving the post."""

    form_fields = ["name", "credentials", "bio"]
    create_action_label = "Add author"
    creation_tab_label = "New author"


class AuthorViewSet(SnippetViewSet):
    model = Author
    icon = "user"
    menu_label = "Authors"
    list_display = ["name", "credentials"]
    search_fields = ["name"]
    add_to_admin_menu = False
    chooser_viewset_class = AuthorChooserViewSet


register_snippet(AuthorViewSet)
