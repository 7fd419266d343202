"""Admin pages that change accounts (#24): create and edit, record a churn or undo it, put a
contact in the account. The list and an account's page are scoring's (scoring.account_views)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.roles import admin_required
from surveys.account_forms import AccountForm, ChurnForm, MemberForm
from surveys.accounts import ACCOUNT_FIELDS, account_churn, account_reactivate, account_save, contact_set_account
from surveys.addresses import normalise
from surveys.models import Account, Contact


@admin_required
@require_http_methods(["GET", "POST"])
def account_edit(request, pk: int | None = None):
    account = get_object_or_404(Account, pk=pk) if pk else Account()
    form = AccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = account_save(
                actor=request.user,
                account_id=pk,
                attributes=data["attributes_text"],
                **{name: data[name] for name in ACCOUNT_FIELDS},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Account saved."))
            return redirect("scoring:account_detail", pk=account.pk)
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Edit %(account)s") % {"account": account} if pk else _("New account"),
            "back_url": reverse("scoring:account_detail", args=[pk]) if pk else reverse("scoring:account_list"),
        },
        status=400 if request.method == "POST" else 200,
    )


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
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Record that %(account)s churned") % {"account": account},
            "back_url": reverse("scoring:account_detail", args=[pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def account_reactivate_view(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    if account_reactivate(account=account, actor=request.user):
        messages.success(request, _("The account is active again."))
    return redirect("scoring:account_detail", pk=account.pk)


@admin_required
@require_POST
def account_member_add(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        email = normalise(form.cleaned_data["email"])
        contact = Contact.objects.filter(email__iexact=email, erased_at__isnull=True).first()
        if contact is None:
            messages.error(request, _("No contact has the address %(email)s.") % {"email": email})
        else:
            contact_set_account(actor=request.user, contact=contact, account=account, role=form.cleaned_data["role"])
            messages.success(request, _("%(contact)s is now in this account.") % {"contact": contact})
    else:
        messages.error(request, _("Give a contact's e-mail address."))
    return redirect("scoring:account_detail", pk=account.pk)


@admin_required
@require_POST
def account_member_remove(request, pk: int, contact_pk: int):
    account = get_object_or_404(Account, pk=pk)
    contact = get_object_or_404(Contact, pk=contact_pk, account=account)
    contact_set_account(actor=request.user, contact=contact, account=None)
    messages.success(request, _("%(contact)s is no longer in this account.") % {"contact": contact})
    return redirect("scoring:account_detail", pk=account.pk)
