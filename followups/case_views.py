"""The case page and its actions (log contact, note, tags, status, reassign, reply by e-mail), each
posted to the page itself; with htmx only the parts an action changes come back."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from core.roles import agent_required
from followups import emails, improvements, reply_templates, services, suggestions
from followups.forms import AttemptForm, NoteForm, ReassignForm, ReplyForm, StatusForm, TagsForm
from followups.models import Improvement
from followups.queries import assignable_users, case_ending, case_timeline, followup_for_user, visible_followups


def _candidates(case):
    if case.team_id:
        return assignable_users().filter(Q(teams=case.team_id) | Q(led_teams=case.team_id))
    return assignable_users()


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
    if action == "reply" and request.POST.get("use_template"):  # fill the form from a template, send nothing
        form = forms["reply"] = _from_template(case, request)
        if request.htmx:
            return _case_update(request, case, forms, action, refresh=())
        return _detail(request, case, forms, tab=action, preview_form=form)
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
                mine = reverse("followups:followup_mine")
                return HttpResponseClientRedirect(mine) if request.htmx else redirect(mine)
            if request.htmx:
                case = followup_for_user(request.user, pk)
                return _case_update(request, case, _case_forms(case, request.user), action, flash=_("Saved."))
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('followups:followup_detail', args=[case.pk])}?tab={action}")
    if request.htmx:  # htmx swaps only 2xx answers: the form comes back with its errors by the fields
        return _case_update(request, case, forms, action, refresh=())
    return _detail(request, case, forms, tab=action if action in CASE_TABS else "attempt", status=400)


def _from_template(case, request) -> ReplyForm:
    """The reply form as posted, its subject and message replaced by the chosen template filled in
    for this case (the agent then edits it and sends)."""
    data = request.POST.copy()
    chosen = request.POST.get("reply-template", "")
    template = reply_templates.templates_for(case).filter(pk=chosen).first() if chosen.isdigit() else None
    if template is not None:
        data["reply-subject"], data["reply-body"] = reply_templates.render_for(template, case, request.user)
    form = ReplyForm(data, prefix="reply")
    form.is_valid()
    if template is None:
        form.add_error(None, _("Choose one of the templates offered."))
    form.chosen_template = template.pk if template else None
    return form


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
        followup=case,
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
        "events": case.events.select_related("actor", "inbound_message"),
        "reply_preview": _reply_preview(case, request.user, preview_form or forms["reply"]),
        "reply_templates": list(reply_templates.templates_for(case)) if case.contact else [],
        "chosen_template": getattr(forms["reply"], "chosen_template", None),
        "improvements": case.response.improvement_links.select_related("improvement"),
        "open_improvements": Improvement.objects.filter(status__in=improvements.IN_WORK),
        "suggested_causes": suggestions.suggest(case),
        "case_tag_ids": list(case.tags.values_list("pk", flat=True)),
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
