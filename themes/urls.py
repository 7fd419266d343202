from django.urls import path

from themes import views

urlpatterns = [
    path("themes/", views.theme_list, name="theme_list"),
    path("themes/new/", views.theme_edit, name="theme_create"),
    path("themes/<int:pk>/", views.theme_edit, name="theme_edit"),
    path("themes/<int:pk>/delete/", views.theme_delete, name="theme_delete"),
    path("themes/proposals/<int:pk>/accept/", views.proposal_accept, name="theme_proposal_accept"),
    path("themes/proposals/<int:pk>/merge/", views.proposal_merge, name="theme_proposal_merge"),
    path("themes/proposals/<int:pk>/reject/", views.proposal_reject, name="theme_proposal_reject"),
]
