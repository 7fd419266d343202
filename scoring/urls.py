from django.urls import path

from scoring import account_views, report_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/followups/", views.followup_health, name="dashboard_followup_health"),
    path("dashboard/comments/", views.comment_list, name="comment_list"),
    path("dashboard/targets/", views.targets, name="targets"),
    path("dashboard/contacts/<int:pk>/history/", views.contact_score_history, name="contact_score_history"),
    path("dashboard/export.csv", views.export_responses_csv, name="export_responses_csv"),
    path("dashboard/export.xlsx", views.export_responses_xlsx, name="export_responses_xlsx"),
    path("dashboard/board-report/", report_views.board_report_start, name="board_report_start"),
    path("dashboard/board-report/<str:token>/", report_views.board_report, name="board_report"),
    path("dashboard/board-report/<str:token>/report.pdf", report_views.board_report_pdf, name="board_report_pdf"),
    path("accounts/", account_views.account_list, name="account_list"),
    path("accounts/churn/", account_views.account_churn_report, name="account_churn_report"),
    path("accounts/<int:pk>/", account_views.account_detail, name="account_detail"),
    path("dashboard/breakdown.csv", views.export_breakdown_csv, name="export_breakdown_csv"),
]
