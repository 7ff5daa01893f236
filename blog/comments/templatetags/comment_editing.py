from django import template

from ..editing import controls_placeholder

register = template.Library()


@register.simple_tag
def comment_edit_controls(comment_id):
    """Where this comment's author, and only they, will see "Edit" and "Delete"."""
    return controls_placeholder(comment_id)
