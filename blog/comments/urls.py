from django.urls import path

from . import views

app_name = "comments"

urlpatterns = [
    path("post/<int:post_id>/", views.post_comment, name="post"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("confirm/", views.request_confirmation, name="request_confirmation"),
    path("confirm/<str:token>/", views.confirm_email, name="confirm_email"),
]
