"""Staff pages for sending a campaign: send now or later, pause and resume, the live progress.

The panel (`surveys/_send_panel.html`) sits on the campaign page, drawn from
`surveys.sending_queries.send_panel`, which also holds the rule for when Send is offered. Its forms are plain POSTs
(back to the campaign page, or the form again with the message when the input was wrong); only
the progress is live, polled with htmx until the wave is done.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.roles import admin_required
from surveys import sending
from surveys.models import Campaign
from surveys.sending_queries import send_panel, send_preview, send_refusal

PANEL = "surveys/_send_panel.html"


class SendForm(forms.Form):
    when = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Send at (empty: now)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )

    def clean_when(self):
        when = self.cleaned_data["when"]
        if when is not None and when < timezone.now() - timedelta(minutes=5):
            raise ValidationError(_("That time has passed. Choose a later one, or leave it empty to send now."))
        return when


def _done(request, campaign: Campaign, message: str):
    messages.success(request, message)
    return redirect("surveys:campaign_detail", pk=campaign.pk)


def _refused(request, campaign: Campaign, error: str = "", form: SendForm | None = None):
    """Wrong input or a refused action: the send form again with the message, and a 400."""
    form = form or SendForm()
    if error:
        form.add_error(None, error)
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Send “%(name)s”") % {"name": campaign.name},
            "back_url": reverse("surveys:campaign_detail", args=[campaign.pk]),
        },
        status=400,
    )


@admin_required
@require_POST
def campaign_send(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _refused(request, campaign, form=form)
    when = form.cleaned_data["when"]
    if request.POST.get("confirmed") != "1":
        # Ask first: how many will be invited, how many skipped and why, before anything is sent.
        refusal = send_refusal(campaign)
        if refusal:
            return _refused(request, campaign, refusal, form=form)
        return render(
            request,
            "surveys/send_confirm.html",
            {
                "campaign": campaign,
                "preview": send_preview(campaign),
                "when": when,
                "when_raw": request.POST.get("when", ""),
            },
        )
    try:
        sending.campaign_send(campaign=campaign, actor=request.user, when=when)
    except ValidationError as error:
        return _refused(request, campaign, error.messages[0], form=form)
    if when and when > timezone.now():
        text = _("Sending scheduled for %(when)s.") % {
            "when": date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT")
        }
    else:
        text = _("Sending started.")
    return _done(request, campaign, text)


def _change(request, pk: int, service, done: str):
    """Pause or resume: back to the campaign page with what happened (or why it could not)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        service(campaign=campaign, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("surveys:campaign_detail", pk=campaign.pk)
    return _done(request, campaign, done)


@admin_required
@require_POST
def campaign_pause(request, pk: int):
    return _change(request, pk, sending.campaign_pause, _("Paused: nothing more is sent until you resume."))


@admin_required
@require_POST
def campaign_resume(request, pk: int):
    return _change(request, pk, sending.campaign_resume, _("Resumed."))


@admin_required
@require_GET
def campaign_progress(request, pk: int):
    """The progress part of the panel, polled by htmx every 2 s until the wave is done."""
    campaign = get_object_or_404(Campaign, pk=pk)
    panel = send_panel(campaign, progress_only=True)
    response = render(request, PANEL, {"campaign": campaign, "progress_only": True, "panel": panel})
    if request.htmx and not panel["polling"]:
        # Finished (or paused elsewhere): reload the page once, so its status and buttons follow.
        response["HX-Refresh"] = "true"
    return response
