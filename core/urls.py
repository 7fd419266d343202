from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says; pages link the icon themselves (base.html).
    path("favicon.ico", views.favicon, name="favicon"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("core:password_change_done")),
        name="password_change",
    ),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("profile/", views.profile, name="profile"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/test/", views.outbox_send_test, name="outbox_send_test"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
    path("audit/", views.audit_log_list, name="audit_log"),
    path("retention/", views.retention, name="retention"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_edit, name="user_create"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("teams/new/", views.team_edit, name="team_create"),
    path("teams/<int:pk>/", views.team_edit, name="team_edit"),
]
