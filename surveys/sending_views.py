"""Staff pages for sending a campaign: send now or later, pause and resume, the live progress.

The panel (`surveys/_send_panel.html`) sits on the campaign page. Its forms post with htmx when
it is there (the panel is swapped in place) and as plain forms without it (redirect back, or a
form page with the message when the input was wrong).
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.roles import admin_required
from surveys import sending
from surveys.models import Campaign

PANEL = "surveys/_send_panel.html"


class SendForm(forms.Form):
    when = forms.DateTimeField(required=False, label="Send at (empty: now)",
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                               input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])

    def clean_when(self):
        when = self.cleaned_data["when"]
        if when is not None and when < timezone.now() - timedelta(minutes=5):
            raise ValidationError("That time has passed. Choose a later one, or leave it empty to send now.")
        return when


def _panel(request, campaign: Campaign, *, form=None, error: str = "", status: int = 200):
    return render(request, PANEL, {"campaign": campaign, "send_form": form, "send_error": error}, status=status)


def _done(request, campaign: Campaign, message: str):
    """After a successful action: the fresh panel for htmx, otherwise back to the campaign page."""
    campaign.refresh_from_db()
    if request.htmx:
        return _panel(request, campaign)
    messages.success(request, message)
    return redirect("campaign_detail", pk=campaign.pk)


def _refused(request, campaign: Campaign, error: str, form=None):
    """Wrong input or a refused action: the panel (htmx) or a page with the form, both with 400."""
    if request.htmx:
        return _panel(request, campaign, form=form, error=error, status=400)
    form = form or SendForm()
    if error:
        form.add_error(None, error)
    return render(request, "core/form_page.html", {
        "form": form, "title": f"Send “{campaign.name}”", "back_url": reverse("campaign_detail", args=[campaign.pk])},
        status=400)


@admin_required
@require_POST
def campaign_send(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _refused(request, campaign, "", form=form)
    when = form.cleaned_data["when"]
    try:
        sending.campaign_send(campaign=campaign, actor=request.user, when=when)
    except ValidationError as error:
        return _refused(request, campaign, error.messages[0], form=form)
    if when and when > timezone.now():
        text = f"Sending scheduled for {timezone.localtime(when):%Y-%m-%d %H:%M}."
    else:
        text = "Sending started."
    return _done(request, campaign, text)


@admin_required
@require_POST
def campaign_pause(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        sending.campaign_pause(campaign=campaign, actor=request.user)
    except ValidationError as error:
        return _refused(request, campaign, error.messages[0])
    return _done(request, campaign, "Paused: nothing more is sent until you resume.")


@admin_required
@require_POST
def campaign_resume(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        sending.campaign_resume(campaign=campaign, actor=request.user)
    except ValidationError as error:
        return _refused(request, campaign, error.messages[0])
    return _done(request, campaign, "Resumed.")


@admin_required
@require_GET
def campaign_progress(request, pk: int):
    """The progress part of the panel, polled by htmx every 2 s until the wave is done."""
    campaign = get_object_or_404(Campaign, pk=pk)
    return render(request, PANEL, {"campaign": campaign, "progress_only": True})
