from django import forms
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts import passwords
from core.ratelimit import client_ip, rate_limit


class ResetRequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)


def _limited(request):
    context = {"form": ResetRequestForm(), "error": _("Too many requests. Please try again in a few minutes.")}
    return render(request, "registration/password_reset_form.html", context, status=429)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
@rate_limit("password-reset", limit=passwords.PER_CLIENT, window=15 * 60, on_limited=_limited)
def password_reset(request):
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        passwords.password_reset_request(email=form.cleaned_data["email"], ip=client_ip(request))
        return redirect("accounts:password_reset_done")
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/password_reset_form.html", {"form": form}, status=status)


def password_reset_done(request):
    return render(request, "registration/password_reset_done.html")


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.password_reset_done(user=form.user, ip=client_ip(self.request))
        return response


password_reset_confirm = ResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()
