from django.urls import path

from accounts import login, password_views, views

app_name = "accounts"

# The passkey ceremonies (accounts.passkeys) keep the library's own namespace, otp_webauthn, which its
# script reads: config/urls.py mounts them at account/passkeys/.
urlpatterns = [
    path("login/", login.SignInView.as_view(), name="login"),
    path("login/verify/", login.login_verify, name="login_verify"),
    path("login/sso/", login.sso_login, name="sso_login"),
    path("login/sso/callback/", login.sso_callback, name="sso_callback"),
    path("account/two-factor/", views.twofactor_page, name="twofactor"),
    path("account/two-factor/recovery-codes/", views.twofactor_recovery_codes, name="twofactor_recovery_codes"),
    path("account/two-factor/off/", views.twofactor_disable, name="twofactor_disable"),
    path("account/two-factor/passkeys/<int:pk>/remove/", views.passkey_remove, name="passkey_remove"),
    path("security/", views.security, name="security"),
    path("security/users/<int:pk>/reset-2fa/", views.security_reset_2fa, name="security_reset_2fa"),
]
urlpatterns += [
    path("password/reset/", password_views.password_reset, name="password_reset"),
    path("password/reset/sent/", password_views.password_reset_done, name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", password_views.password_reset_confirm, name="password_reset_confirm"),
    path("password/reset/done/", password_views.password_reset_complete, name="password_reset_complete"),
]
