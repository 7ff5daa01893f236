from django.urls import path

from . import views

app_name = "comments"

urlpatterns = [
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("report/<int:comment_id>/", views.report_comment, name="report"),
]
