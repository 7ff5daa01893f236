from django.apps import AppConfig


class CommentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "blog.comments"
    label = "comments"
    verbose_name = "Comments"

    def ready(self):
        from cms.api_cache import versions_replaced
        from cms.page_cache import keep_fresh

        from . import editing, form_tokens
        from .post_lookup import forget_version

        versions_replaced.connect(forget_version, dispatch_uid="comments_post_lookup_version")
        # Cached post pages carry a placeholder; each view gets a token issued to its reader.
        keep_fresh(form_tokens.PLACEHOLDER, form_tokens.fill_placeholder)
        # ... and each comment's author gets its "Edit" and "Delete" links, nobody else.
        keep_fresh(editing.CONTROLS_PLACEHOLDER, editing.fill_controls)
