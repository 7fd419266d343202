from django.urls import include, path

urlpatterns = [
    path("", include("surveys.urls_sending")),  # first: the send and progress pages live in sending_views
    path("", include("surveys.urls_admin")),
    path("", include("surveys.urls_privacy")),
    path("", include("surveys.urls_accounts")),
]
