"""Admin pages that bring accounts in (#24): the accounts CSV, and the proposals from contacts'
`company` that an admin confirms or rejects (nothing is merged without them)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.roles import admin_required
from surveys.account_import import COLUMNS, import_accounts_file
from surveys.account_proposals import proposal_confirm, proposal_reject, proposals_refresh
from surveys.forms import UploadForm
from surveys.import_file import ImportFileError
from surveys.models import AccountProposal


@admin_required
@require_http_methods(["GET", "POST"])
def account_import(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = import_accounts_file(raw=form.cleaned_data["file"].read(), actor=request.user)
        except ImportFileError as error:
            form.add_error("file", str(error))
    columns = sorted(set(COLUMNS.values()))
    status = 400 if request.method == "POST" and result is None else 200
    return render(
        request, "surveys/account_import.html", {"form": form, "result": result, "columns": columns}, status=status
    )


@admin_required
@require_http_methods(["GET", "POST"])
def account_proposals(request):
    if request.method == "POST":
        pending = proposals_refresh(actor=request.user)
        messages.success(request, _("%(n)s proposals to check.") % {"n": pending})
        return redirect("surveys:account_proposals")
    pending = AccountProposal.objects.filter(status=AccountProposal.Status.PENDING)
    return render(
        request,
        "surveys/account_proposals.html",
        {"proposals": pending[:200], "pending": pending.count()},
    )


@admin_required
@require_POST
def account_proposal_decide(request, pk: int):
    proposal = get_object_or_404(AccountProposal, pk=pk)
    if request.POST.get("decision") == "reject":
        proposal_reject(proposal=proposal, actor=request.user)
        messages.success(request, _("“%(name)s” will not be proposed again.") % {"name": proposal.name})
        return redirect("surveys:account_proposals")
    merge = [int(value) for value in request.POST.getlist("merge") if value.isdigit() and len(value) < 18]
    try:
        account = proposal_confirm(
            proposal=proposal, actor=request.user, name=request.POST.get("name", "")[:200], merge=merge
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("surveys:account_proposals")
    messages.success(request, _("Account “%(name)s” created.") % {"name": account.name})
    return redirect("scoring:account_detail", pk=account.pk)
