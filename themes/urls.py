from django.urls import path

from themes import views

# Mounted at themes/ (config/urls.py).
app_name = "themes"

urlpatterns = [
    path("", views.theme_list, name="theme_list"),
    path("new/", views.theme_edit, name="theme_create"),
    path("<int:pk>/", views.theme_edit, name="theme_edit"),
    path("<int:pk>/delete/", views.theme_delete, name="theme_delete"),
    path("proposals/<int:pk>/accept/", views.proposal_accept, name="theme_proposal_accept"),
    path("proposals/<int:pk>/merge/", views.proposal_merge, name="theme_proposal_merge"),
    path("proposals/<int:pk>/reject/", views.proposal_reject, name="theme_proposal_reject"),
]
