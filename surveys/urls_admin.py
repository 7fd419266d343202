from django.urls import path

from surveys import contact_views, touchpoint_views, views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_edit, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/status/", views.campaign_status, name="campaign_status"),
    path("campaigns/<int:pk>/duplicate/", views.campaign_duplicate, name="campaign_duplicate"),
    path("campaigns/<int:pk>/preview/", views.campaign_preview, name="campaign_preview"),
    path("campaigns/<int:pk>/preview/form/", views.campaign_preview_form, name="campaign_preview_form"),
    path("campaigns/<int:pk>/preview/email/", views.campaign_preview_email, name="campaign_preview_email"),
    path("campaigns/<int:pk>/preview/why/", views.campaign_preview_details, name="campaign_preview_details"),
    path("campaigns/<int:pk>/preview/thanks/", views.campaign_preview_thanks, name="campaign_preview_thanks"),
    path("campaigns/<int:pk>/qr.svg", views.campaign_qr, name="campaign_qr"),
    path("contacts/", contact_views.contact_list, name="contact_list"),
    path("contacts/new/", contact_views.contact_edit, name="contact_create"),
    path("contacts/lists/", contact_views.contact_lists, name="contact_lists"),
    path("contacts/import/", contact_views.contact_import, name="contact_import"),
    path("contacts/import/<int:pk>/", contact_views.contact_import_detail, name="contact_import_detail"),
    path("contacts/import/<int:pk>/progress/", contact_views.contact_import_progress, name="contact_import_progress"),
    path("contacts/<int:pk>/", contact_views.contact_detail, name="contact_detail"),
    path("touchpoints/", touchpoint_views.touchpoint_list, name="touchpoint_list"),
    path("touchpoints/new/", touchpoint_views.touchpoint_edit, name="touchpoint_create"),
    path("touchpoints/<int:pk>/", touchpoint_views.touchpoint_edit, name="touchpoint_edit"),
    path("touchpoints/<int:pk>/move/", touchpoint_views.touchpoint_move, name="touchpoint_move"),
    path("contacts/<int:pk>/edit/", contact_views.contact_edit, name="contact_edit"),
]
