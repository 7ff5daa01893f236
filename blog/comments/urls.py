from django.urls import path

from . import author_views, views

app_name = "comments"

urlpatterns = [
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("report/<int:comment_id>/", views.report_comment, name="report"),
    path("<int:comment_id>/edit/", author_views.edit_comment, name="edit"),
    path("<int:comment_id>/delete/", author_views.delete_comment, name="delete"),
    path("confirm/", views.request_confirmation, name="request_confirmation"),
    path("confirm/<str:token>/", views.confirm_email, name="confirm_email"),
]
