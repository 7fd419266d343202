from django.urls import path

from api import admin_views

urlpatterns = [
    path("api-tokens/", admin_views.token_list, name="api_token_list"),
    path("api-tokens/new/", admin_views.token_create, name="api_token_create"),
    path("api-tokens/<int:pk>/revoke/", admin_views.token_revoke, name="api_token_revoke"),
]
