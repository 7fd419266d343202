from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.roles import admin_required, agent_required, case_workers
from followups import emails, improvements, routing, services, setup
from followups.forms import (
    AttemptForm,
    BulkReassignForm,
    NoteForm,
    ReassignForm,
    ReplyForm,
    RoutingRuleForm,
    RoutingTestForm,
    SLAForm,
    StatusForm,
    TagForm,
    TagsForm,
)
from followups.models import FollowUp, Improvement, RootCauseTag, RoutingRule, SLAPolicy
from followups.queries import (
    case_ending,
    case_timeline,
    cases_filtered,
    followup_for_user,
    is_lead,
    queue_followups,
    queue_rows,
    visible_followups,
)
from surveys.models import Campaign, Category, Response, Touchpoint

User = get_user_model()


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


def _assignable_users():
    """Who cases can be handed to: those who can work cases (core.roles.case_workers)."""
    return case_workers(User.objects.all()).order_by("username")


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
            "bulk_form": BulkReassignForm(candidates=_assignable_users()) if lead else None,
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
    return redirect("followup_detail", pk=case.pk)


@agent_required
@require_POST
def followup_bulk_reassign(request):
    user = request.user
    form = BulkReassignForm(request.POST, visible=visible_followups(user), candidates=_assignable_users())
    if not form.is_valid():
        messages.error(request, _("Choose the cases, the new owner and give a reason."))
        return redirect("followup_queue")
    try:
        count = services.followups_bulk_assign(
            followups=list(form.cleaned_data["followups"]),
            actor=user,
            owner=form.cleaned_data["owner"],
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
        return redirect("followup_queue")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("followup_queue")
    messages.success(
        request, ngettext("Reassigned %(count)s case.", "Reassigned %(count)s cases.", count) % {"count": count}
    )
    return redirect("followup_queue")


def _candidates(case):
    if case.team_id:
        return _assignable_users().filter(Q(teams=case.team_id) | Q(led_teams=case.team_id))
    return _assignable_users()


# The case page's work, by action: the tab (or card) its form sits in, and what else on the page
# can change when it is saved (re-sent along by htmx, out of band).
CASE_ACTIONS = {
    "attempt": ("head", "status", "history", "customer"),
    "note": ("history",),
    "tags": ("history",),
    "status": ("head", "history", "customer"),
    "reassign": ("history", "customer"),
    "reply": ("history",),
}
CASE_TABS = ("attempt", "note", "status", "reassign", "reply")


def _case_forms(case, user, data=None, action=""):
    """The case page's forms, the one for `action` bound to `data`."""
    greeting, signature = emails.reply_defaults(contact=case.contact, sender=user) if case.contact else ("", "")
    makers = {
        "attempt": lambda d: AttemptForm(d, prefix="attempt"),
        "note": lambda d: NoteForm(d, prefix="note"),
        "tags": lambda d: TagsForm(d, prefix="tags", initial={"tags": list(case.tags.all())}),
        "status": lambda d: StatusForm(d, prefix="status", initial={"status": case.status, "outcome": case.outcome}),
        "reassign": lambda d: ReassignForm(d, prefix="reassign", candidates=_candidates(case)),
        "reply": lambda d: ReplyForm(
            d,
            prefix="reply",
            initial={"subject": emails.default_reply_subject(case), "greeting": greeting, "signature": signature},
        ),
    }
    return {name: make(data if name == action else None) for name, make in makers.items()}


@agent_required
@require_http_methods(["GET", "POST"])
def followup_detail(request, pk: int):
    """The case page. Each action posts here: with htmx only the parts it changes come back (the
    form's own tab, and out of band the history, the header, …); without JavaScript the page
    reloads on the same tab."""
    case = followup_for_user(request.user, pk)
    tab = request.GET.get("tab", "")
    if request.method == "GET":
        return _detail(request, case, _case_forms(case, request.user), tab=tab if tab in CASE_TABS else "attempt")
    action = request.POST.get("action", "")
    if action not in CASE_ACTIONS:
        messages.error(request, _("Unknown action."))
        return _detail(request, case, _case_forms(case, request.user), tab="attempt", status=400)
    forms = _case_forms(case, request.user, request.POST, action)
    form = forms[action]
    if action == "reply" and request.POST.get("preview"):  # show the e-mail, send nothing
        form.is_valid()
        if request.htmx and request.htmx.target == "reply-preview":  # as the agent types
            return render(request, "followups/case/_reply_preview.html", _reply_preview(case, request.user, form))
        if request.htmx:  # the "Update the preview" button: the reply tab, its input kept
            return _case_update(request, case, forms, action, refresh=())
        return _detail(request, case, forms, tab=action, preview_form=form)
    if form.is_valid():
        try:
            _apply(action, case, form.cleaned_data, request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if not visible_followups(request.user).filter(pk=pk).exists():
                # Handed to someone outside the user's view: back to their list, not to a 404.
                messages.success(request, _("Saved. Case #%(pk)s is no longer yours.") % {"pk": pk})
                mine = reverse("followup_mine")
                return HttpResponseClientRedirect(mine) if request.htmx else redirect(mine)
            if request.htmx:
                case = followup_for_user(request.user, pk)
                return _case_update(request, case, _case_forms(case, request.user), action, flash=_("Saved."))
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('followup_detail', args=[case.pk])}?tab={action}")
    if request.htmx:  # htmx swaps only 2xx answers: the form comes back with its errors by the fields
        return _case_update(request, case, forms, action, refresh=())
    return _detail(request, case, forms, tab=action if action in CASE_TABS else "attempt", status=400)


def _reply_preview(case, user, form) -> dict:
    """The reply e-mail as it would go out with the form's values as they stand (as typed, valid
    or not; a greeting or signature not posted is the default one, as when sending)."""
    if case.contact is None or not case.contact.can_be_emailed:
        return {"case": case, "message": None}
    if form.is_bound:
        values = {name: form.data.get(form.add_prefix(name)) for name in ("subject", "greeting", "body", "signature")}
    else:
        values = {"body": "", **{name: form.initial.get(name) for name in ("subject", "greeting", "signature")}}
    message = emails.reply_message(
        contact=case.contact,
        sender=user,
        subject=" ".join((values["subject"] or "").split()),
        body=(values["body"] or "").strip(),
        greeting=values["greeting"],
        signature=values["signature"],
    )
    return {"case": case, "message": message}


def _case_update(request, case, forms, action, *, flash="", refresh=None):
    """The htmx answer to an action: its form's part of the page, plus the parts it changes."""
    context = _case_context(request, case, forms, tab=action)
    context.update(
        {
            "primary": f"followups/case/_{action}.html",
            "refresh": [
                f"followups/case/_{part}.html" for part in (CASE_ACTIONS[action] if refresh is None else refresh)
            ],
            "flash": flash,
        }
    )
    return render(request, "followups/case/_update.html", context)


def _apply(action, case, data, actor):
    if action == "attempt":
        services.followup_log_attempt(
            followup=case, actor=actor, channel=data["channel"], result=data["result"], note=data["note"]
        )
    elif action == "note":
        services.followup_add_note(followup=case, actor=actor, text=data["text"])
    elif action == "tags":
        services.followup_set_tags(followup=case, actor=actor, tags=list(data["tags"]))
    elif action == "status":
        services.followup_transition(
            followup=case,
            to=data["status"],
            actor=actor,
            reason=data["reason"],
            summary=data["summary"],
            outcome=data["outcome"],
        )
    elif action == "reassign":
        services.followup_assign(followup=case, actor=actor, owner=data["owner"], reason=data["reason"])
    elif action == "reply":
        services.followup_reply(
            followup=case,
            actor=actor,
            subject=data["subject"],
            body=data["body"],
            greeting=data["greeting"],
            signature=data["signature"],
        )


def _case_context(request, case, forms, *, tab: str, preview_form=None) -> dict:
    response = case.response
    return {
        "case": case,
        "response": response,
        "forms": forms,
        "tab": tab,
        "tabs": [
            ("attempt", _("Log contact")),
            ("note", _("Note")),
            ("status", _("Status")),
            ("reassign", _("Reassign")),
            ("reply", _("Reply by e-mail")),
        ],
        "now": timezone.now(),
        "ending": case_ending(case),
        "events": case.events.select_related("actor"),
        "reply_preview": _reply_preview(case, request.user, preview_form or forms["reply"]),
        "improvements": case.response.improvement_links.select_related("improvement"),
        "open_improvements": Improvement.objects.filter(status__in=improvements.IN_WORK),
    }


def _detail(request, case, forms, *, tab: str, status: int = 200, preview_form=None):
    context = _case_context(request, case, forms, tab=tab, preview_form=preview_form)
    timeline, timeline_hidden = case_timeline(case, request.user)
    context.update(
        {
            "answers": case.response.answers.select_related("question").order_by("question__order"),
            "timeline": timeline,
            "timeline_hidden": timeline_hidden,
        }
    )
    return render(request, "followups/detail.html", context, status=status)


# --- Routing rules (admins) -----------------------------------------------------------------
def _rule_warnings(rules) -> dict[int, tuple[str, int | None]]:
    """Rule id → (why the rule never gets a case, the id of the earlier rule that takes its
    answers or None): an earlier rule takes all its answers, or its named user cannot work cases."""
    workers = routing.Workers()
    warnings = {rule.pk: (routing.target_problem(rule, can_work=workers), None) for rule in rules}
    for pk, earlier in routing.unreachable(rules, can_work=workers).items():
        message = _("Never fires: rule “%(earlier)s” above it takes every answer it would match.")
        warnings[pk] = (message % {"earlier": earlier.name}, earlier.pk)
    return {pk: warning for pk, warning in warnings.items() if warning[0]}


@admin_required
@require_GET
def routing_rule_list(request):
    rules = list(RoutingRule.objects.select_related("campaign", "touchpoint", "team", "target_user"))
    warnings = _rule_warnings(rules)
    rows = [(rule, warnings.get(rule.pk, ("", None))[0]) for rule in rules]
    return render(request, "followups/routing_list.html", {"rules": rows, "positions": range(1, len(rules) + 1)})


@admin_required
@require_http_methods(["GET", "POST"])
def routing_rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(RoutingRule, pk=pk) if pk else RoutingRule()
    form = RoutingRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            rule = setup.routing_rule_save(actor=request.user, rule=rule if pk else None, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved rule “%(name)s”.") % {"name": rule.name})
            rules = list(RoutingRule.objects.select_related("target_user"))
            names = {r.pk: r.name for r in rules}
            for pk, (warning, earlier) in _rule_warnings(rules).items():
                if rule.pk in (pk, earlier):  # this rule never fires, or it stops another one
                    messages.warning(
                        request, _("Rule “%(name)s”: %(warning)s") % {"name": names[pk], "warning": warning}
                    )
            return redirect("routing_rule_list")
    return render(
        request,
        "followups/routing_form.html",
        {"form": form, "rule": rule},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def routing_rule_delete(request, pk: int):
    """GET asks first (the page says what goes); POST deletes."""
    rule = get_object_or_404(RoutingRule, pk=pk)
    if request.method == "GET":
        return render(
            request,
            "core/confirm_delete.html",
            {
                "title": _("Delete rule “%(name)s”?") % {"name": rule.name},
                "consequence": _(
                    "New cases this rule would route go to the next matching rule instead. "
                    "Cases it routed keep their owner."
                ),
                "button": _("Delete the rule"),
                "cancel_url": reverse("routing_rule_edit", args=[rule.pk]),
            },
        )
    setup.routing_rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("routing_rule_list")


def _toggled(request, obj) -> None:
    message = _("“%(name)s” is now active.") if obj.active else _("“%(name)s” is now inactive.")
    messages.success(request, message % {"name": obj})


@admin_required
@require_POST
def routing_rule_toggle(request, pk: int):
    _toggled(request, setup.routing_rule_toggle(rule=get_object_or_404(RoutingRule, pk=pk), actor=request.user))
    return redirect("routing_rule_list")


@admin_required
@require_POST
def routing_rule_move(request, pk: int):
    position = request.POST.get("position", "")
    setup.routing_rule_move(
        rule_id=pk,
        direction=request.POST.get("direction", ""),
        position=int(position) if position.isdigit() else None,
        actor=request.user,
    )
    return redirect("routing_rule_list")


@admin_required
@require_GET
def routing_test(request):
    form = RoutingTestForm(request.GET or None)
    verdicts, response, chosen = None, None, None
    if form.is_valid():
        if form.cleaned_data["response"] is not None:
            response = (
                Response.objects.select_related("campaign", "touchpoint", "contact__account_owner")
                .filter(pk=form.cleaned_data["response"])
                .first()
            )
            if response is None:
                form.add_error("response", _("There is no response with that number."))
            else:
                verdicts = routing.explain_routing(response)
        else:
            response = form.made_up_response()
            verdicts = routing.explain_routing(response, at_risk=form.cleaned_data["at_risk"])
    if verdicts is not None:
        chosen = next((v for v in verdicts if v.matched), None)
    recent = (
        Response.objects.filter(category__in=[Category.DETRACTOR, Category.PASSIVE])
        .select_related("campaign", "contact")
        .order_by("-submitted_at")[:10]
    )
    return render(
        request,
        "followups/routing_test.html",
        {
            "form": form,
            "verdicts": verdicts,
            "response": response,
            "chosen": chosen,
            "recent": recent,
            "opens_case": response is not None and verdicts is not None and routing.wants_followup(response),
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def sla_settings(request):
    policies = {p.category: p for p in SLAPolicy.objects.all()}
    forms = {
        c: SLAForm(request.POST or None, prefix=c, instance=policies.get(c) or SLAPolicy(category=c, hours=48))
        for c in Category.values
    }
    if request.method == "POST":
        if all(f.is_valid() for f in forms.values()):
            setup.sla_policies_save(
                deadlines={c: (f.cleaned_data["hours"], f.cleaned_data["business_hours"]) for c, f in forms.items()},
                actor=request.user,
            )
            messages.success(request, _("Deadlines saved."))
            return redirect("sla_settings")
    rows = [(category, Category(category).label, form) for category, form in forms.items()]
    return render(request, "followups/sla.html", {"forms": rows}, status=400 if request.method == "POST" else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def tag_list(request):
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tag = setup.tag_create(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Added root cause “%(name)s”.") % {"name": tag.name})
        return redirect("tag_list")
    return render(
        request,
        "followups/tags.html",
        {"form": form, "tags": RootCauseTag.objects.all()},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def tag_toggle(request, pk: int):
    _toggled(request, setup.tag_toggle(tag=get_object_or_404(RootCauseTag, pk=pk), actor=request.user))
    return redirect("tag_list")
