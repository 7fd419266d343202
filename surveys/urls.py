"""The surveys app's URLs, in one namespace (`surveys:`), mounted at the site's root.

The respondent's paths (/s/, /a/, /u/) are in e-mails and QR codes already sent: they never change
(tests/test_url_names.py holds them to their views).
"""

from django.urls import path

from surveys import (
    account_file_views,
    account_views,
    builder_views,
    contact_views,
    privacy_views,
    public_views,
    sending_views,
    sms_views,
    touchpoint_views,
    unsubscribe_views,
    views,
    widget_staff_views,
    widget_views,
)

app_name = "surveys"

# The respondent's pages: every answer link, the anonymous (QR) link and unsubscribe.
public_patterns = [
    path("s/<str:token>/", public_views.survey_answer, name="survey_answer"),
    path("s/<str:token>/why/", public_views.survey_details, name="survey_details"),
    path("s/<str:token>/thanks/", public_views.survey_thanks, name="survey_thanks"),
    path("a/<str:token>/", public_views.survey_anonymous, name="survey_anonymous"),
    path("s/<str:token>/review/<int:site_id>/", public_views.review_click, name="review_click"),
    path("u/<str:token>/", unsubscribe_views.unsubscribe, name="unsubscribe"),
    # The SMS provider's callbacks (core.sms.STATUS_PATH and INBOUND_PATH).
    path("sms/<str:backend>/status/", sms_views.sms_status, name="sms_status"),
    path("sms/<str:backend>/inbound/", sms_views.sms_inbound, name="sms_inbound"),
    # The website and in-app widget: its script and the calls it makes from the host page.
    path("widget/v1.js", widget_views.widget_script, name="widget_script"),
    path("widget/v1/config/", widget_views.widget_config, name="widget_config"),
    path("widget/v1/ask/", widget_views.widget_ask, name="widget_ask"),
    path("widget/v1/answer/", widget_views.widget_answer, name="widget_answer"),
    path("widget/v1/details/", widget_views.widget_details, name="widget_details"),
    path("widget/v1/dismiss/", widget_views.widget_dismiss, name="widget_dismiss"),
]

campaign_patterns = [
    path("campaigns/<int:pk>/send/", sending_views.campaign_send, name="campaign_send"),
    path("campaigns/<int:pk>/pause/", sending_views.campaign_pause, name="campaign_pause"),
    path("campaigns/<int:pk>/resume/", sending_views.campaign_resume, name="campaign_resume"),
    path("campaigns/<int:pk>/progress/", sending_views.campaign_progress, name="campaign_progress"),
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
    path("campaigns/<int:pk>/widget/secret/", widget_staff_views.campaign_widget_secret, name="campaign_widget_secret"),
    path("campaigns/questions/new/", builder_views.question_form_new, name="campaign_question_new"),
    path("campaigns/review-sites/new/", builder_views.review_site_form_new, name="campaign_review_site_new"),
]

contact_patterns = [
    path("contacts/", contact_views.contact_list, name="contact_list"),
    path("contacts/new/", contact_views.contact_edit, name="contact_create"),
    path("contacts/lists/", contact_views.contact_lists, name="contact_lists"),
    path("contacts/import/", contact_views.contact_import, name="contact_import"),
    path("contacts/import/<int:pk>/", contact_views.contact_import_detail, name="contact_import_detail"),
    path("contacts/import/<int:pk>/progress/", contact_views.contact_import_progress, name="contact_import_progress"),
    path("contacts/<int:pk>/", contact_views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contact_views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/export.json", privacy_views.contact_export_json, name="contact_export_json"),
    path("contacts/<int:pk>/erase/", privacy_views.contact_erase_confirm, name="contact_erase_confirm"),
]

touchpoint_patterns = [
    path("touchpoints/", touchpoint_views.touchpoint_list, name="touchpoint_list"),
    path("touchpoints/new/", touchpoint_views.touchpoint_edit, name="touchpoint_create"),
    path("touchpoints/<int:pk>/", touchpoint_views.touchpoint_edit, name="touchpoint_edit"),
    path("touchpoints/<int:pk>/move/", touchpoint_views.touchpoint_move, name="touchpoint_move"),
]

# Editing accounts and their members; their health pages are scoring's (scoring/urls.py).
account_patterns = [
    path("accounts/new/", account_views.account_edit, name="account_create"),
    path("accounts/import/", account_file_views.account_import, name="account_import"),
    path("accounts/proposals/", account_file_views.account_proposals, name="account_proposals"),
    path("accounts/proposals/<int:pk>/", account_file_views.account_proposal_decide, name="account_proposal_decide"),
    path("accounts/<int:pk>/edit/", account_views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/churn/", account_views.account_churn_record, name="account_churn"),
    path("accounts/<int:pk>/reactivate/", account_views.account_reactivate_view, name="account_reactivate"),
    path("accounts/<int:pk>/contacts/", account_views.account_member_add, name="account_member_add"),
    path(
        "accounts/<int:pk>/contacts/<int:contact_pk>/remove/",
        account_views.account_member_remove,
        name="account_member_remove",
    ),
]

urlpatterns = public_patterns + campaign_patterns + contact_patterns + touchpoint_patterns + account_patterns
