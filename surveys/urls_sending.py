from django.urls import path

from surveys import sending_views

urlpatterns = [
    path("campaigns/<int:pk>/send/", sending_views.campaign_send, name="campaign_send"),
    path("campaigns/<int:pk>/pause/", sending_views.campaign_pause, name="campaign_pause"),
    path("campaigns/<int:pk>/resume/", sending_views.campaign_resume, name="campaign_resume"),
    path("campaigns/<int:pk>/progress/", sending_views.campaign_progress, name="campaign_progress"),
]
