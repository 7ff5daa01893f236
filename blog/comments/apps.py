from django.apps import AppConfig


class CommentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "blog.comments"
    label = "comments"
    verbose_name = "Comments"

    def ready(self):
        from cms.api_cache import versions_replaced

        from .post_lookup import forget_version

        versions_replaced.connect(forget_version, dispatch_uid="comments_post_lookup_version")
