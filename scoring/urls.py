from django.urls import include, path

from scoring import account_views, enps_views, insight_views, report_views, subscription_views, theme_views, views

app_name = "scoring"

dashboard_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("enps/", enps_views.enps_page, name="enps"),
    path("enps/settings/", enps_views.enps_settings, name="enps_settings"),
    path("followups/", views.followup_health, name="dashboard_followup_health"),
    path("revenue/", account_views.dashboard_revenue, name="dashboard_revenue"),
    path("comments/", views.comment_list, name="comment_list"),
    path("themes/", theme_views.themes, name="theme_report"),
    path("drivers/", insight_views.drivers, name="driver_areas"),
    path("movement/", insight_views.moves, name="movement"),
    path("journey/", insight_views.journey_page, name="journey"),
    path("targets/", views.targets, name="targets"),
    path("contacts/<int:pk>/history/", views.contact_score_history, name="contact_score_history"),
    path("export.csv", views.export_responses_csv, name="export_responses_csv"),
    path("export.xlsx", views.export_responses_xlsx, name="export_responses_xlsx"),
    path("board-report/", report_views.board_report_start, name="board_report_start"),
    path("board-report/<str:token>/", report_views.board_report, name="board_report"),
    path("board-report/<str:token>/report.pdf", report_views.board_report_pdf, name="board_report_pdf"),
    path("breakdown.csv", views.export_breakdown_csv, name="export_breakdown_csv"),
]

# The accounts' health pages; editing an account and its members is surveys' (surveys/urls.py).
account_patterns = [
    path("", account_views.account_list, name="account_list"),
    path("churn/", account_views.account_churn_report, name="account_churn_report"),
    path("<int:pk>/", account_views.account_detail, name="account_detail"),
]

# Scheduled reports (scoring.subscriptions); the unsubscribe link is authorised by its signed token.
report_patterns = [
    path("", subscription_views.report_subscriptions, name="report_subscriptions"),
    path("new/", subscription_views.report_subscribe, name="report_subscribe"),
    path("<int:pk>/stop/", subscription_views.report_subscription_stop, name="report_subscription_stop"),
    path("unsubscribe/<str:token>/", subscription_views.report_unsubscribe, name="report_unsubscribe"),
]

urlpatterns = [
    path("dashboard/", include(dashboard_patterns)),
    path("accounts/", include(account_patterns)),
    path("reports/", include(report_patterns)),
]
