"""The case lists: my follow-ups, the team queue (claiming, bulk reassignment by leads). The case
page is followups.case_views; routing rules, SLA and root-cause tags are followups.settings_views."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.roles import agent_required
from followups import services
from followups.forms import BulkReassignForm
from followups.models import FollowUp
from followups.queries import (
    assignable_users,
    cases_filtered,
    followup_for_user,
    is_lead,
    queue_followups,
    queue_rows,
    visible_followups,
)
from surveys.models import Campaign, Category, Touchpoint


def _int_param(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _filtered(request, qs):
    """The list filters from the query string; values that make no sense are ignored rather than refused."""
    return cases_filtered(
        qs,
        status=request.GET.get("status", "open"),
        category=request.GET.get("category", ""),
        campaign_id=_int_param(request, "campaign"),
        touchpoint_id=_int_param(request, "touchpoint"),
        overdue=bool(request.GET.get("overdue")),
    )


def _list_page(request, qs, *, title, template_extra=None):
    page = Paginator(queue_rows(_filtered(request, qs)), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "title": title,
        "now": timezone.now(),
        "statuses": FollowUp.Status.choices,
        "categories": Category.choices,
        "filters": request.GET,
        "query": query.urlencode(),
        "campaigns": Campaign.objects.filter(pk__in=qs.values("response__campaign_id")).order_by("name"),
        "touchpoints": Touchpoint.objects.all(),
        **(template_extra or {}),
    }
    template = "followups/_case_table.html" if request.htmx else "followups/list.html"
    return render(request, template, context)


@agent_required
@require_GET
def followup_mine(request):
    return _list_page(request, FollowUp.objects.filter(owner=request.user), title=_("My follow-ups"))


@agent_required
@require_GET
def followup_queue(request):
    lead = is_lead(request.user)
    return _list_page(
        request,
        queue_followups(request.user),
        title=_("Team queue"),
        template_extra={
            "queue": True,
            "is_lead": lead,
            "bulk_form": BulkReassignForm(candidates=assignable_users()) if lead else None,
        },
    )


@agent_required
@require_POST
def followup_claim(request, pk: int):
    case = followup_for_user(request.user, pk)
    try:
        services.followup_assign(followup=case, actor=request.user, owner=request.user, claim=True)
        messages.success(request, _("You now own case #%(pk)s.") % {"pk": case.pk})
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("followups:followup_detail", pk=case.pk)


@agent_required
@require_POST
def followup_bulk_reassign(request):
    user = request.user
    form = BulkReassignForm(request.POST, visible=visible_followups(user), candidates=assignable_users())
    if not form.is_valid():
        messages.error(request, _("Choose the cases, the new owner and give a reason."))
        return redirect("followups:followup_queue")
    try:
        count = services.followups_bulk_assign(
            followups=list(form.cleaned_data["followups"]),
            actor=user,
            owner=form.cleaned_data["owner"],
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
        return redirect("followups:followup_queue")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("followups:followup_queue")
    messages.success(
        request, ngettext("Reassigned %(count)s case.", "Reassigned %(count)s cases.", count) % {"count": count}
    )
    return redirect("followups:followup_queue")
