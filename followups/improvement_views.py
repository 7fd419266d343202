from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.roles import admin_required, agent_required
from followups import improvements as svc
from followups import notices, public_page
from followups.forms import ImprovementForm
from followups.models import Improvement
from followups.queries import followup_for_user, visible_responses


@agent_required
@require_GET
def improvement_list(request):
    public_pages = [
        {
            "code": code,
            "label": label,
            "page": public_page.page_url(code),
            "feeds": public_page.feed_urls(code),
            "snippet": public_page.embed_snippet(code),
        }
        for code, label in (("en", "English"), ("nl", "Nederlands"))
    ]
    return render(
        request, "followups/improvement_list.html", {"rows": svc.improvement_rows(), "public_pages": public_pages}
    )


@admin_required
@require_http_methods(["GET", "POST"])
def improvement_edit(request, pk: int | None = None):
    improvement = get_object_or_404(Improvement, pk=pk) if pk else Improvement()
    form = ImprovementForm(request.POST or None, instance=improvement)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        improvement = svc.improvement_save(
            actor=request.user,
            improvement_id=pk,
            tags=data["tags"],
            **{name: data[name] for name in svc.IMPROVEMENT_FIELDS},
        )
        messages.success(request, _("Improvement saved."))
        return redirect("followups:improvement_detail", pk=improvement.pk)
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": improvement.title or _("New improvement")},
        status=400 if request.method == "POST" else 200,
    )


@agent_required
@require_GET
def improvement_detail(request, pk: int):
    improvement = get_object_or_404(Improvement.objects.select_related("team", "resurvey_campaign"), pk=pk)
    actions = svc.improvement_actions(improvement)
    visible = visible_responses(request.user)  # an agent sees their own teams' answers only
    links = (
        improvement.links.filter(response__in=visible)
        .select_related("response__contact", "response__campaign")
        .order_by("-response__submitted_at")
    )
    return render(
        request,
        "followups/improvement_detail.html",
        {
            "improvement": improvement,
            "links": links,
            "actions": actions,
            "suggestions": svc.suggestions(improvement, among=visible) if actions["link"] else [],
            "recipients": svc.recipients(improvement),
            "change": svc.before_after(improvement),
            "progress": notices.notice_progress(improvement),
            "notices": notices.notice_rows(improvement),
        },
    )


@agent_required
@require_GET
def improvement_progress(request, pk: int):
    improvement = get_object_or_404(Improvement, pk=pk)
    return render(
        request,
        "followups/_notice_progress.html",
        {"improvement": improvement, "progress": notices.notice_progress(improvement)},
    )


def _redirect_back(request, *fallback, **kwargs):
    """Back to the page that posted (a local path only), else to the fallback view."""
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(*fallback, **kwargs)


def _linked_ids(request):
    return [int(i) for i in request.POST.getlist("responses") if i.isdigit()]


@agent_required
@require_POST
def improvement_link(request, pk: int):
    improvement = get_object_or_404(Improvement, pk=pk)
    try:
        count = svc.improvement_link(improvement=improvement, response_ids=_linked_ids(request), actor=request.user)
        messages.success(
            request, ngettext("Linked %(count)s answer.", "Linked %(count)s answers.", count) % {"count": count}
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return _redirect_back(request, "followups:improvement_detail", pk=pk)


@agent_required
@require_POST
def comments_link_improvement(request):
    """Link several answers, ticked on the comments list, to one improvement."""
    improvement = get_object_or_404(Improvement, pk=request.POST.get("improvement") or 0)
    try:
        count = svc.improvement_link(improvement=improvement, response_ids=_linked_ids(request), actor=request.user)
        messages.success(
            request,
            ngettext("Linked %(count)s answer to “%(title)s”.", "Linked %(count)s answers to “%(title)s”.", count)
            % {"count": count, "title": improvement.title},
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return _redirect_back(request, "followups:improvement_list")


@agent_required
@require_POST
def followup_link_improvement(request, pk: int):
    case = followup_for_user(request.user, pk)
    improvement = get_object_or_404(Improvement, pk=request.POST.get("improvement") or 0)
    try:
        svc.improvement_link(improvement=improvement, response_ids=[case.response_id], actor=request.user)
        messages.success(request, _("Linked to “%(title)s”.") % {"title": improvement.title})
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("followups:followup_detail", pk=case.pk)


@agent_required
@require_POST
def improvement_unlink(request, pk: int, response_id: int):
    improvement = get_object_or_404(Improvement, pk=pk)
    try:
        svc.improvement_unlink(improvement=improvement, response_id=response_id, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("followups:improvement_detail", pk=pk)


@admin_required
@require_POST
def improvement_status(request, pk: int):
    improvement = get_object_or_404(Improvement, pk=pk)
    try:
        svc.improvement_transition(
            improvement=improvement,
            to=request.POST.get("status", ""),
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, ValueError) as error:
        messages.error(request, error.messages[0] if isinstance(error, ValidationError) else _("Unknown status."))
    return redirect("followups:improvement_detail", pk=pk)


@admin_required
@require_http_methods(["GET", "POST"])
def improvement_ship(request, pk: int):
    improvement = get_object_or_404(Improvement, pk=pk)
    recipients = list(svc.recipients(improvement))
    if request.method == "POST":
        exclude = [i for i in request.POST.getlist("exclude") if i.isdigit()]
        try:
            queued = svc.improvement_ship(improvement=improvement, actor=request.user, exclude_contact_ids=exclude)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                ngettext(
                    "Shipped. %(count)s customer will be told, once.",
                    "Shipped. %(count)s customers will be told, once each.",
                    queued,
                )
                % {"count": queued},
            )
            return redirect("followups:improvement_detail", pk=pk)
    # The e-mail as each language's customers will get it; a shipped improvement shows its state
    # and the sending progress instead of the form (improvement_actions decides).
    actions = svc.improvement_actions(improvement)
    return render(
        request,
        "followups/improvement_ship.html",
        {
            "improvement": improvement,
            "recipients": recipients,
            "actions": actions,
            "previews": notices.notice_previews(improvement, recipients) if actions["ship"] else [],
            "progress": notices.notice_progress(improvement)
            if improvement.status == Improvement.Status.SHIPPED
            else None,
        },
    )


@admin_required
@require_POST
def improvement_publish(request, pk: int):
    """Put the improvement on the public "you said, we did" page (shown once shipped), or take it off."""
    improvement = get_object_or_404(Improvement, pk=pk)
    public_page.improvement_publish(
        improvement=improvement,
        actor=request.user,
        public=request.POST.get("public") == "1",
        show_nps=request.POST.get("show_nps") == "1",
    )
    messages.success(request, _("Public page settings saved."))
    return redirect("followups:improvement_detail", pk=pk)
