"""The follow-up settings, for admins: routing rules (list, edit, order, test), the SLA and the
root-cause tags."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.roles import admin_required
from followups import routing, setup, suggestions
from followups.forms import RoutingRuleForm, RoutingTestForm, SLAForm, TagForm
from followups.models import RootCauseTag, RoutingRule, SLAPolicy
from surveys.models import CUSTOMER_KINDS, Category, Response


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
            return redirect("followups:routing_rule_list")
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
                "cancel_url": reverse("followups:routing_rule_edit", args=[rule.pk]),
            },
        )
    setup.routing_rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("followups:routing_rule_list")


def _toggled(request, obj) -> None:
    message = _("“%(name)s” is now active.") if obj.active else _("“%(name)s” is now inactive.")
    messages.success(request, message % {"name": obj})


@admin_required
@require_POST
def routing_rule_toggle(request, pk: int):
    _toggled(request, setup.routing_rule_toggle(rule=get_object_or_404(RoutingRule, pk=pk), actor=request.user))
    return redirect("followups:routing_rule_list")


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
    return redirect("followups:routing_rule_list")


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
        Response.objects.filter(category__in=[Category.DETRACTOR, Category.PASSIVE], kind__in=CUSTOMER_KINDS)
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
                deadlines={
                    c: (f.cleaned_data["hours"], f.cleaned_data["business_hours"], f.cleaned_data["key_account_hours"])
                    for c, f in forms.items()
                },
                actor=request.user,
            )
            messages.success(request, _("Deadlines saved."))
            return redirect("followups:sla_settings")
    rows = [(category, Category(category).label, form) for category, form in forms.items()]
    return render(request, "followups/sla.html", {"forms": rows}, status=400 if request.method == "POST" else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def tag_list(request):
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tag = setup.tag_create(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Added root cause “%(name)s”.") % {"name": tag.name})
        return redirect("followups:tag_list")
    return render(
        request,
        "followups/tags.html",
        {
            "form": form,
            "tags": RootCauseTag.objects.all(),
            "suggester": suggestions.state(),
            "min_cases": suggestions.MIN_CASES,
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def tag_toggle(request, pk: int):
    _toggled(request, setup.tag_toggle(tag=get_object_or_404(RootCauseTag, pk=pk), actor=request.user))
    return redirect("followups:tag_list")
