from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("contacts/", views.ContactList.as_view(), name="api_contact_list"),
    path("contacts/upsert/", views.ContactUpsert.as_view(), name="api_contact_upsert"),
    path("contacts/<int:pk>/", views.ContactDetail.as_view(), name="api_contact_detail"),
    path("contacts/<int:pk>/opt-out/", views.ContactOptOut.as_view(), name="api_contact_opt_out"),
    path("surveys/trigger/", views.SurveyTrigger.as_view(), name="api_survey_trigger"),
    path("invitations/<int:pk>/", views.InvitationDetail.as_view(), name="api_invitation_detail"),
    path("responses/", views.ResponseList.as_view(), name="api_response_list"),
    path("responses/<int:pk>/", views.ResponseDetail.as_view(), name="api_response_detail"),
    path("followups/", views.FollowUpList.as_view(), name="api_followup_list"),
    path("followups/<int:pk>/", views.FollowUpDetail.as_view(), name="api_followup_detail"),
    path("followups/<int:pk>/notes/", views.FollowUpNotes.as_view(), name="api_followup_notes"),
    path("nps/summary/", views.NpsSummary.as_view(), name="api_nps_summary"),
    # Any other /api/…/ (an id that is no number, a typo) is a 404 in the API's JSON error shape, not
    # the site's HTML page. Without the slash, Django's APPEND_SLASH redirect still comes first.
    re_path(r"^[\s\S]*/$", views.not_found, name="api_not_found"),
]
