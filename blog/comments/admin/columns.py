"""Columns of the comment listing that Wagtail's generic ones do not cover."""

from wagtail.admin.ui.tables import Column, StatusTagColumn


class AuthorColumn(Column):
    cell_template_name = "blog/comments/admin/author_cell.html"


class CommentStatusColumn(StatusTagColumn):
    """Wagtail's status tag, with a class per status (``comment-status--spam``) that
    static/css/comments-admin.css colours, so a spam row does not look like an approved one."""

    cell_template_name = "wagtailsnippets/snippets/comments/comment/status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        classes = ["w-status--label", "comment-status", f"comment-status--{instance.status}"]
        if context["primary"]:
            classes.append("w-status--primary")
        context["status_classname"] = " ".join(classes)
        return context


class ReportsColumn(Column):
    """Readers' open reports on the comment: each reason with its note (notes are plain
    text, escaped). Reads the listing's prefetched ``open_reports``."""

    cell_template_name = "blog/comments/admin/reports_cell.html"
