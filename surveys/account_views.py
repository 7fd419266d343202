"""Admin pages that change accounts (#24): create and edit, record a churn or undo it, put a
contact in the account. The list and an account's page are scoring's (scoring.account_views)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.form_pages import form_page, save_form
from core.roles import admin_required
from surveys.account_forms import AccountForm, ChurnForm, MemberForm
from surveys.accounts import ACCOUNT_FIELDS, account_churn, account_reactivate, account_save, contact_set_account
from surveys.models import Account, Contact


@admin_required
@require_http_methods(["GET", "POST"])
def account_edit(request, pk: int | None = None):
    account = get_object_or_404(Account, pk=pk) if pk else Account()
    form = AccountForm(request.POST or None, instance=account)
    saved = save_form(
        request,
        form,
        lambda data: account_save(
            actor=request.user,
            account_id=pk,
            attributes=data["attributes_text"],
            **{name: data[name] for name in ACCOUNT_FIELDS},
        ),
        saved=_("Account saved."),
    )
    if saved:
        return redirect("scoring:account_detail", pk=saved.pk)
    title = _("Edit %(account)s") % {"account": account} if pk else _("New account")
    back = reverse("scoring:account_detail", args=[pk]) if pk else reverse("scoring:account_list")
    return form_page(request, form, title=title, back_url=back)


@admin_required
@require_http_methods(["GET", "POST"])
def account_churn_record(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    form = ChurnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = account_churn(
            account=account,
            actor=request.user,
            on=form.cleaned_data["churned_at"],
            reason=form.cleaned_data["reason"],
            via="staff",
        )
        if done:
            messages.success(request, _("The churn is recorded."))
        else:
            messages.info(request, _("This account had already churned."))
        return redirect("scoring:account_detail", pk=account.pk)
    title = _("Record that %(account)s churned") % {"account": account}
    return form_page(request, form, title=title, back_url=reverse("scoring:account_detail", args=[pk]))


@admin_required
@require_POST
def account_reactivate_view(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    if account_reactivate(account=account, actor=request.user):
        messages.success(request, _("The account is active again."))
    return redirect("scoring:account_detail", pk=account.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def account_member_add(request, pk: int):
    """Put a contact (by e-mail address) in the account; the account page posts here, and a
    mistake shows this form again with the reason (400)."""
    account = get_object_or_404(Account, pk=pk)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = form.cleaned_data["email"]
        previous = contact.account if contact.account_id != account.pk else None
        contact_set_account(actor=request.user, contact=contact, account=account, role=form.cleaned_data["role"])
        if previous is not None:
            messages.success(
                request,
                _("%(contact)s is now in this account (no longer in %(previous)s).")
                % {"contact": contact, "previous": previous},
            )
        else:
            messages.success(request, _("%(contact)s is now in this account.") % {"contact": contact})
        return redirect("scoring:account_detail", pk=account.pk)
    title = _("Add a contact to %(account)s") % {"account": account}
    return form_page(request, form, title=title, back_url=reverse("scoring:account_detail", args=[pk]))


@admin_required
@require_POST
def account_member_remove(request, pk: int, contact_pk: int):
    account = get_object_or_404(Account, pk=pk)
    contact = get_object_or_404(Contact, pk=contact_pk, account=account)
    contact_set_account(actor=request.user, contact=contact, account=None)
    messages.success(request, _("%(contact)s is no longer in this account.") % {"contact": contact})
    return redirect("scoring:account_detail", pk=account.pk)
