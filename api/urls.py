"""The api app's URLs, in one namespace (`api:`), mounted at the site's root: the REST API (bearer
tokens) with its schema and docs under api/, and the staff pages that manage its tokens under
api-tokens/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import account_views, admin_views, views

app_name = "api"

rest_patterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("contacts/", views.ContactList.as_view(), name="contact_list"),
    path("contacts/upsert/", views.ContactUpsert.as_view(), name="contact_upsert"),
    path("contacts/<int:pk>/", views.ContactDetail.as_view(), name="contact_detail"),
    path("contacts/<int:pk>/opt-out/", views.ContactOptOut.as_view(), name="contact_opt_out"),
    path("surveys/trigger/", views.SurveyTrigger.as_view(), name="survey_trigger"),
    path("invitations/<int:pk>/", views.InvitationDetail.as_view(), name="invitation_detail"),
    path("responses/", views.ResponseList.as_view(), name="response_list"),
    path("responses/<int:pk>/", views.ResponseDetail.as_view(), name="response_detail"),
    path("followups/", views.FollowUpList.as_view(), name="followup_list"),
    path("followups/<int:pk>/", views.FollowUpDetail.as_view(), name="followup_detail"),
    path("followups/<int:pk>/notes/", views.FollowUpNotes.as_view(), name="followup_notes"),
    path("nps/summary/", views.NpsSummary.as_view(), name="nps_summary"),
    path("accounts/", account_views.AccountList.as_view(), name="account_list"),
    path("accounts/upsert/", account_views.AccountUpsert.as_view(), name="account_upsert"),
    path("accounts/revenue/", account_views.RevenueSummary.as_view(), name="account_revenue"),
    path("accounts/<int:pk>/", account_views.AccountDetail.as_view(), name="account_detail"),
    # Any other /api/…/ (an id that is no number, a typo) is a 404 in the API's JSON error shape, not
    # the site's HTML page. Without the slash, Django's APPEND_SLASH redirect still comes first.
    re_path(r"^[\s\S]*/$", views.not_found, name="not_found"),
]

token_patterns = [
    path("", admin_views.token_list, name="token_list"),
    path("new/", admin_views.token_create, name="token_create"),
    path("<int:pk>/revoke/", admin_views.token_revoke, name="token_revoke"),
]

urlpatterns = [
    path("api/", include(rest_patterns)),
    path("api-tokens/", include(token_patterns)),
]
