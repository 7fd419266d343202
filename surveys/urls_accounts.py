from django.urls import path

from surveys import account_file_views, account_views

urlpatterns = [
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
