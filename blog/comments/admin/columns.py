"""Columns of the comment listing that Wagtail's generic ones do not cover."""

from wagtail.admin.ui.tables import Column


class AuthorColumn(Column):
    cell_template_name = "blog/comments/admin/author_cell.html"
