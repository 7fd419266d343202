"""Admin pages: campaigns (build, preview, status; sending is in sending_views) and contacts (list, page, import)."""

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.roles import admin_required
from surveys import lifecycle, queries, services, wording
from surveys.emails import build_invitation_email
from surveys.forms import CampaignForm, ContactForm, MappingForm, QuestionFormSet, UploadForm
from surveys.import_file import ImportFileError, guess_mapping, parse_file
from surveys.imports import import_confirm, import_prepare
from surveys.models import Campaign, Contact, ContactImport, ContactList, Invitation, Response
from surveys.public_forms import DetailsForm
from surveys.public_views import render_answer_page
from surveys.sending_queries import send_panel

S = Campaign.Status


# --- Campaigns --------------------------------------------------------------------------------
@admin_required
@require_GET
def campaign_list(request):
    return render(request, "surveys/campaign_list.html", {"campaigns": queries.campaigns_with_counts()})


@admin_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk: int | None = None):
    campaign = get_object_or_404(Campaign, pk=pk) if pk else Campaign()
    if campaign.status == Campaign.Status.CLOSED:
        messages.error(request, _("A closed campaign cannot be edited; duplicate it instead."))
        return redirect("campaign_detail", pk=campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    formset = QuestionFormSet(request.POST or None, instance=campaign, prefix="questions")
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.campaign_save(
                    actor=request.user,
                    campaign_id=pk,
                    audience_filter=data["segment"],
                    questions=formset.questions(),
                    **{name: data[name] for name in services.CAMPAIGN_FIELDS},
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved “%(name)s”.") % {"name": campaign.name})
                return redirect("campaign_detail", pk=campaign.pk)
    return render(
        request,
        "surveys/campaign_form.html",
        {"form": form, "formset": formset, "campaign": campaign},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.select_related("touchpoint", "team", "audience_list"), pk=pk)
    with translation.override(campaign.language):  # the wording as respondents read it
        nps_question, why_question = wording.nps_question(campaign), wording.why_question(campaign)
    panel = send_panel(campaign)
    return render(
        request,
        "surveys/campaign_detail.html",
        {
            "campaign": campaign,
            "questions": campaign.questions.all(),
            "targets": [(target, S(target).label) for target in _button_targets(campaign)],
            "anonymous_url": request.build_absolute_uri(reverse("survey_anonymous", args=[campaign.anonymous_token])),
            "panel": panel,
            "audience_size": panel["audience_size"],
            "answered": campaign.responses.count(),
            "nps_question": nps_question,
            "why_question": why_question,
        },
    )


def _button_targets(campaign: Campaign) -> list[str]:
    """The status changes the campaign page offers as plain buttons.

    surveys.lifecycle decides what is allowed at all. Changes that need the sending machinery (a
    wave to send or schedule, queued batches to pick up again on resume) are made through the
    send panel instead, so a button can never leave a half-sent wave behind."""
    by_email = campaign.channel == Campaign.Channel.EMAIL
    buttons = {
        S.CLOSED: True,
        S.PAUSED: campaign.status == S.ACTIVE,  # the panel pauses a scheduled or sending campaign
        # Opening a draft; or reopening a paused link-only campaign (e-mail ones resume in the panel).
        S.ACTIVE: campaign.status == S.DRAFT or (campaign.status == S.PAUSED and not by_email),
    }
    return [target for target in lifecycle.allowed_targets(campaign) if buttons.get(target, False)]


@admin_required
@require_POST
def campaign_status(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    target = request.POST.get("status", "")
    if target not in S.values:
        messages.error(request, _("Unknown status."))
    elif lifecycle.can_transition(campaign.status, target) and target not in _button_targets(campaign):
        messages.error(request, _("Sending, scheduling and resuming are done with the buttons of the Send panel."))
    else:
        try:
            lifecycle.campaign_transition(campaign=campaign, to=target, actor=request.user)
            messages.success(
                request, _("The campaign is now %(status)s.") % {"status": campaign.get_status_display().lower()}
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
    return redirect("campaign_detail", pk=campaign.pk)


@admin_required
@require_POST
def campaign_duplicate(request, pk: int):
    copy = services.campaign_duplicate(campaign=get_object_or_404(Campaign, pk=pk), actor=request.user)
    messages.success(request, _("Duplicated as a new draft."))
    return redirect("campaign_edit", pk=copy.pk)


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
            return redirect(f"{reverse('campaign_preview_thanks', args=[pk])}?lang={language}&category=passive")
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
                "promoter_link": campaign.promoter_link if category == "promoter" else "",
                "change_url": "",
            },
        )


@admin_required
@require_GET
def campaign_qr(request, pk: int):
    """The public link as a QR code (SVG), for posters, receipts and screens."""
    campaign = get_object_or_404(Campaign, pk=pk, anonymous_link_enabled=True)
    url = request.build_absolute_uri(reverse("survey_anonymous", args=[campaign.anonymous_token]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=8, border=4, title=_("Survey: %(name)s") % {"name": campaign.name}
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    if "download" in request.GET:
        response["Content-Disposition"] = f'attachment; filename="survey-{campaign.pk}-qr.svg"'
    return response


# --- Contacts ---------------------------------------------------------------------------------
def _segment_param(raw: str) -> tuple[str, str] | None:
    """ "plan=pro" from the contact list's filter box → ("plan", "pro"); anything else → None."""
    key, sep, value = raw.partition("=")
    key, value = key.strip(), value.strip()
    if sep and key and value and key.replace("_", "").replace("-", "").isalnum():
        return key, value
    return None


@admin_required
@require_GET
def contact_list(request):
    q = request.GET.get("q", "").strip()[:200]
    segment = request.GET.get("segment", "").strip()[:200]
    state = request.GET.get("state", "")
    state = state if state in ("opted_out", "undeliverable", "emailable") else ""
    list_id = request.GET.get("list", "")
    list_id = list_id if list_id.isdigit() else ""
    segment_filter = _segment_param(segment)
    if segment and segment_filter is None:
        messages.warning(request, _("Filter on a segment as attribute=value, for example plan=pro."))
    contacts = queries.contacts_search(
        q=q, segment=segment_filter, state=state, list_id=int(list_id) if list_id else None
    )
    page = Paginator(contacts, 50).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in (("q", q), ("segment", segment), ("state", state), ("list", list_id)) if v])
    return render(
        request,
        "surveys/contact_list.html",
        {
            "page": page,
            "q": q,
            "segment": segment,
            "state": state,
            "query": query,
            "list_id": list_id,
            "lists": ContactList.objects.annotate(n=Count("contacts")),
        },
    )


@admin_required
@require_GET
def contact_detail(request, pk: int):
    contact = get_object_or_404(Contact.objects.select_related("account_owner"), pk=pk)
    return render(
        request,
        "surveys/contact_detail.html",
        {"contact": contact, "timeline": queries.contact_timeline(contact=contact), "lists": contact.lists.all()},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int | None = None):
    contact = get_object_or_404(Contact, pk=pk) if pk else Contact()
    if contact.erased_at:
        messages.error(request, _("An erased contact cannot be edited."))
        return redirect("contact_detail", pk=contact.pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contact = services.contact_save(
                actor=request.user,
                contact_id=pk,
                attributes=data["attributes_text"],
                opt_out=data["opted_out"],
                **{name: data[name] for name in services.CONTACT_FIELDS},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("contact_detail", pk=contact.pk)
    return render(
        request,
        "core/form_page.html",
        {
            "form": form,
            "title": _("Edit %(contact)s") % {"contact": contact} if pk else _("New contact"),
            "back_url": reverse("contact_detail", args=[pk]) if pk else reverse("contact_list"),
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def contact_import(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            parse_file(upload.read())
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            upload.seek(0)
            record = services.import_start(upload=upload, actor=request.user)
            return redirect("contact_import_detail", pk=record.pk)
    recent = ContactImport.objects.order_by("-created_at")[:10]
    return render(
        request,
        "surveys/import_upload.html",
        {"form": form, "recent": recent},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def contact_import_detail(request, pk: int):
    record = get_object_or_404(ContactImport, pk=pk)
    if record.status not in (ContactImport.Status.UPLOADED, ContactImport.Status.MAPPED):
        # Running or finished: only the progress and the report, no need to read the file again.
        return render(
            request, "surveys/import_detail.html", {"record": record}, status=409 if request.method == "POST" else 200
        )
    try:
        parsed = parse_file(record.file.open("rb").read())
    except (ImportFileError, FileNotFoundError) as error:
        return render(request, "surveys/import_detail.html", {"record": record, "file_error": str(error)}, status=400)
    form = MappingForm(
        request.POST or None,
        headers=parsed.headers,
        initial_mapping=record.mapping or guess_mapping(parsed.headers),
        initial={"match_on": record.match_on},
    )
    report = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "check")
        if not form.is_valid():
            status = 400
        else:
            try:
                report = import_prepare(
                    import_record=record, mapping=form.mapping(), match_on=form.cleaned_data["match_on"]
                )
            except ImportFileError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                if action == "import" and not report.valid:
                    form.add_error(None, _("No row can be imported; correct the file or the mapping first."))
                    status = 400
                elif action == "import":
                    import_confirm(import_record=record, actor=request.user, list_name=form.cleaned_data["list_name"])
                    messages.success(request, _("The import is running; you can leave this page."))
                    return redirect("contact_import_detail", pk=record.pk)
    return render(
        request,
        "surveys/import_detail.html",
        {
            "record": record,
            "form": form,
            "headers": parsed.headers,
            "preview": parsed.rows[:10],
            "report": report,
            "row_count": len(parsed.rows),
        },
        status=status,
    )


@admin_required
@require_GET
def contact_import_progress(request, pk: int):
    record = get_object_or_404(ContactImport, pk=pk)
    return render(request, "surveys/_import_progress.html", {"record": record})


@admin_required
@require_GET
def contact_lists(request):
    return render(request, "surveys/contact_lists.html", {"lists": queries.contact_lists_with_counts()})
