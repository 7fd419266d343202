"""Admin pages for campaigns: build, preview, change status (sending is in sending_views, contacts in
contact_views)."""

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.roles import admin_required
from surveys import queries, review_sites, sending, services, wording
from surveys.emails import build_invitation_email
from surveys.forms import CampaignForm
from surveys.models import Campaign, Contact, Invitation, Response, WidgetSettings
from surveys.public_forms import DetailsForm
from surveys.public_views import render_answer_page
from surveys.question_forms import QuestionFormSet
from surveys.review_forms import ReviewSiteFormSet
from surveys.sending_queries import send_panel, status_buttons
from surveys.widget_forms import WidgetSettingsForm
from surveys.widget_setup import secret_hint

S = Campaign.Status


@admin_required
@require_GET
def campaign_list(request):
    return render(request, "surveys/campaign_list.html", {"campaigns": queries.campaigns_with_counts()})


@admin_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk: int | None = None):
    campaign = get_object_or_404(Campaign, pk=pk) if pk else Campaign()
    refusal = services.campaign_edit_refusal(campaign)
    if refusal:
        messages.error(request, refusal)
        return redirect("surveys:campaign_detail", pk=campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    formset = QuestionFormSet(request.POST or None, instance=campaign, prefix="questions")
    # A post without the review sites' part (an older form, a script) leaves the sites as they are.
    sites_posted = request.method != "POST" or "sites-TOTAL_FORMS" in request.POST
    sites = ReviewSiteFormSet(request.POST or None, instance=campaign, prefix="sites") if sites_posted else None
    # The widget's settings: checked and saved only when the campaign is (to be) a widget one.
    widget_posted = request.POST.get("channel") == Campaign.Channel.WIDGET and "widget-colour" in request.POST
    widget_form = WidgetSettingsForm(
        request.POST if widget_posted else None, instance=_widget_of(campaign), prefix="widget"
    )
    if request.method == "POST":
        valid = [form.is_valid(), formset.is_valid(), sites is None or sites.is_valid()]
        if all(valid) and (not widget_posted or widget_form.is_valid()):
            data = form.cleaned_data
            try:
                campaign = services.campaign_save(
                    actor=request.user,
                    campaign_id=pk,
                    audience_filter=data["segment"],
                    questions=formset.questions(),
                    review_sites=sites.sites() if sites is not None else None,
                    widget=widget_form.values() if widget_posted else None,
                    **{name: data[name] for name in services.CAMPAIGN_FIELDS},
                )
            except ValidationError as error:
                if widget_posted and widget_form.takes(error):
                    widget_form.add_model_error(error)
                else:
                    form.add_error(None, error)
            else:
                messages.success(request, _("Saved “%(name)s”.") % {"name": campaign.name})
                return redirect("surveys:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "surveys/campaign_form.html",
        {
            "form": form,
            "formset": formset,
            "sites": sites or ReviewSiteFormSet(instance=campaign, prefix="sites"),
            "widget_form": widget_form,
            "campaign": campaign,
        },
        status=400 if request.method == "POST" else 200,
    )


def _widget_of(campaign: Campaign) -> WidgetSettings:
    """The campaign's widget settings, or unsaved defaults for one that has none yet."""
    found = WidgetSettings.objects.filter(campaign_id=campaign.pk).first() if campaign.pk else None
    return found or WidgetSettings()


def _review_sites_with_clicks(campaign: Campaign) -> list[tuple]:
    clicks = review_sites.click_counts(campaign)
    return [(site, clicks.get(site.pk, 0)) for site in campaign.review_sites.all()]


@admin_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.select_related("touchpoint", "team", "audience_list"), pk=pk)
    with translation.override(campaign.language):  # the wording as respondents read it
        nps_question, why_question = wording.nps_question(campaign), wording.why_question(campaign)
    panel = send_panel(campaign)
    widget = (
        WidgetSettings.objects.filter(campaign=campaign).first()
        if campaign.channel == Campaign.Channel.WIDGET
        else None
    )
    return render(
        request,
        "surveys/campaign_detail.html",
        {
            "campaign": campaign,
            "questions": campaign.questions.all(),
            "review_sites": _review_sites_with_clicks(campaign),
            "targets": [(target, S(target).label) for target in status_buttons(campaign)],
            "anonymous_url": request.build_absolute_uri(
                reverse("surveys:survey_anonymous", args=[campaign.anonymous_token])
            ),
            "widget_script_url": request.build_absolute_uri(reverse("surveys:widget_script")),
            "widget": widget,
            "secret_hint": secret_hint(widget) if widget else "",
            "panel": panel,
            "can_edit": not services.campaign_edit_refusal(campaign),
            "audience_size": panel["audience_size"],
            "answered": campaign.responses.count(),
            "nps_question": nps_question,
            "why_question": why_question,
        },
    )


@admin_required
@require_POST
def campaign_status(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        sending.campaign_status_set(campaign=campaign, to=request.POST.get("status", ""), actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("The campaign is now %(status)s.") % {"status": campaign.get_status_display().lower()}
        )
    return redirect("surveys:campaign_detail", pk=campaign.pk)


@admin_required
@require_POST
def campaign_duplicate(request, pk: int):
    copy = services.campaign_duplicate(campaign=get_object_or_404(Campaign, pk=pk), actor=request.user)
    messages.success(request, _("Duplicated as a new draft."))
    return redirect("surveys:campaign_edit", pk=copy.pk)


def _preview_language(request, campaign: Campaign) -> str:
    language = request.GET.get("lang", "")
    return language if language in {code for code, _name in settings.LANGUAGES} else campaign.language


def _preview_invitation(campaign: Campaign, language: str) -> Invitation:
    """An unsaved invitation to an example contact, for previews only: nothing is written."""
    contact = Contact(pk=0, email="jamie@example.com", name="Jamie Example", language=language)
    return Invitation(campaign=campaign, contact=contact, token="preview")


@admin_required
@require_GET
def campaign_preview(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    language = _preview_language(request, campaign)
    email = build_invitation_email(invitation=_preview_invitation(campaign, language), preview=True)
    return render(
        request,
        "surveys/campaign_preview.html",
        {
            "campaign": campaign,
            "language": language,
            "language_name": translation.get_language_info(language)["name_translated"],
            "email": email,
            "languages": settings.LANGUAGES,
            "categories": list(PREVIEW_SCORES),
            "missing": wording.missing_by_language_name(campaign),
        },
    )


@admin_required
@require_GET
@xframe_options_sameorigin
def campaign_preview_email(request, pk: int):
    """The invitation's HTML part exactly as sent, for the preview page's frame."""
    campaign = get_object_or_404(Campaign, pk=pk)
    email = build_invitation_email(
        invitation=_preview_invitation(campaign, _preview_language(request, campaign)), preview=True
    )
    html = next((content for content, mimetype in email.alternatives if mimetype == "text/html"), None)
    if html is None:
        return HttpResponse(email.body, content_type="text/plain; charset=utf-8")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    # The frame shows what a mail client would: no scripts, links open outside the preview.
    response["Content-Security-Policy"] = "script-src 'none'; form-action 'none'"
    return response


@admin_required
@require_GET
@xframe_options_sameorigin
def campaign_preview_form(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    return render_answer_page(
        request,
        campaign=campaign,
        invitation=_preview_invitation(campaign, _preview_language(request, campaign)),
        preview=True,
    )


PREVIEW_SCORES = {"promoter": 9, "passive": 8, "detractor": 3}


def _preview_response(campaign: Campaign, invitation: Invitation, category: str) -> Response:
    """An unsaved answer, for the second step and the thank-you page of the preview."""
    return Response(
        campaign=campaign,
        invitation=invitation,
        contact=invitation.contact,
        score=PREVIEW_SCORES[category],
        category=category,
    )


@admin_required
@require_http_methods(["GET", "POST"])
@xframe_options_sameorigin
def campaign_preview_details(request, pk: int):
    """Step two as respondents see it: the why question and the driver questions. Submitting it
    checks the answers like the real form and shows the thank-you page; nothing is stored."""
    campaign = get_object_or_404(Campaign, pk=pk)
    language = _preview_language(request, campaign)
    invitation = _preview_invitation(campaign, language)
    with translation.override(language):
        kwargs = {"questions": list(campaign.questions.all()), "why_label": wording.why_question(campaign)}
        form = DetailsForm(request.POST or None, **kwargs)
        if request.method == "POST" and form.is_valid():
            return redirect(f"{reverse('surveys:campaign_preview_thanks', args=[pk])}?lang={language}&category=passive")
        return render(
            request,
            "surveys/public/details.html",
            {
                "campaign": campaign,
                "form": form,
                "response": _preview_response(campaign, invitation, "passive"),
                "token": invitation.token,
                "change_url": "",
                "preview": True,
            },
            status=400 if request.method == "POST" else 200,
        )


@admin_required
@require_GET
@xframe_options_sameorigin
def campaign_preview_thanks(request, pk: int):
    """The thank-you page for one category (its own text, and the review link for promoters)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    language = _preview_language(request, campaign)
    category = request.GET.get("category", "")
    category = category if category in PREVIEW_SCORES else "promoter"
    with translation.override(language):
        return render(
            request,
            "surveys/public/thanks.html",
            {
                "campaign": campaign,
                "preview": True,
                "response": _preview_response(campaign, _preview_invitation(campaign, language), category),
                "text": wording.thanks_text(campaign, category),
                # Every site readers of this language may be shown (a segment cannot be previewed),
                # linked directly: a preview records no click.
                "review_links": [
                    (wording.review_site_label(site), site.url)
                    for site in review_sites.sites_for(campaign, language=language, contact=None, any_segment=True)
                ]
                if category == "promoter"
                else [],
                "change_url": "",
            },
        )


@admin_required
@require_GET
def campaign_qr(request, pk: int):
    """The public link as a QR code (SVG), for posters, receipts and screens."""
    campaign = get_object_or_404(Campaign, pk=pk, anonymous_link_enabled=True)
    url = request.build_absolute_uri(reverse("surveys:survey_anonymous", args=[campaign.anonymous_token]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=8, border=4, title=_("Survey: %(name)s") % {"name": campaign.name}
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    if "download" in request.GET:
        response["Content-Disposition"] = f'attachment; filename="survey-{campaign.pk}-qr.svg"'
    return response
