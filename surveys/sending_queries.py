"""Reads about sending a campaign: its audience, its waves and their progress, and whether it may
be sent now.

`send_refusal` is the one rule for "may this campaign be sent?": the send service refuses with
its answer, and the campaign page shows the Send button only when it has none, so the two cannot
disagree. `status_buttons` likewise decides which plain status changes the page offers and its
status endpoint accepts. Nothing here writes.
"""

import re
from collections import Counter
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, Value
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from surveys.lifecycle import allowed_targets
from surveys.models import Campaign, Contact, Invitation, SendWave
from surveys.phones import can_receive_sms
from surveys.sms import sending_hours

S = Campaign.Status
Status = Invitation.Status

# Skip reasons are stored in English, as stable values, and translated where they are shown
# (the skip_reason_label filter in surveys/templatetags/sending_tags.py).
OPTED_OUT, UNDELIVERABLE, ERASED = gettext_noop("opted out"), gettext_noop("undeliverable"), gettext_noop("erased")
SMS_OPTED_OUT, NO_MOBILE = gettext_noop("opted out of text messages"), gettext_noop("no mobile number")
# The channels that send invitations (the others are answered through a link or the widget).
SENDING_CHANNELS = (Campaign.Channel.EMAIL, Campaign.Channel.SMS)
QUIET_REASON = re.compile(r"^surveyed in the last (\d+) days$")
# A quiet period shorter than this re-surveys people who answered days ago: the send step warns.
QUIET_WARNING_DAYS = 7
# How many earlier waves the campaign page lists with their figures.
WAVES_SHOWN = 20


def quiet_reason(days: int) -> str:
    return f"surveyed in the last {days} days"


def quiet_rule(days: int) -> str:
    """Who the quiet period skips, in words that also read right for 0 and 1 days."""
    if days == 0:
        return _(
            "No quiet period: contacts are invited even if they were surveyed minutes ago. Opted-out, "
            "undeliverable and erased contacts are skipped and counted."
        )
    return ngettext(
        "Contacts surveyed by any campaign in the last 24 hours, opted out, undeliverable or erased are "
        "skipped and counted.",
        "Contacts surveyed by any campaign in the last %(days)s days, opted out, undeliverable or erased are "
        "skipped and counted.",
        days,
    ) % {"days": days}


def audience(campaign: Campaign):
    """The contacts a campaign is for: its list and/or its segment filter (all contacts if neither).

    Filter keys are attribute names taken literally (a key containing "__" is not a lookup).
    """
    contacts = Contact.objects.all()
    if campaign.audience_list_id:
        contacts = contacts.filter(lists=campaign.audience_list_id)
    for index, (key, value) in enumerate(sorted((campaign.audience_filter or {}).items())):
        alias = f"segment_{index}"
        contacts = contacts.alias(**{alias: KeyTransform(str(key), "attributes")}).filter(**{alias: value})
    return contacts


def channel_skip_reason(channel: str, *, erased, opted_out, undeliverable, sms_opted_out, phone) -> str:
    """Why a contact cannot be invited by this channel now ("" if they can). E-mail and text
    messages have their own opt-outs: replying STOP to a text does not stop e-mails, nor the reverse."""
    if erased:
        return ERASED
    if channel == Campaign.Channel.SMS:
        if sms_opted_out:
            return SMS_OPTED_OUT
        return "" if can_receive_sms(phone) else NO_MOBILE
    if opted_out:
        return OPTED_OUT
    return UNDELIVERABLE if undeliverable else ""


def audience_decisions(campaign: Campaign, *, now) -> list[tuple[int, str]]:
    """Each audience member's contact id and why they would be skipped if a wave started `now`
    ("" for those who would be invited), in contact order. The one rule for both the send
    confirmation and the wave itself (surveys.sending.wave_start)."""
    if campaign.quiet_period_days:
        recent = Exists(
            Invitation.objects.filter(
                contact=OuterRef("pk"), sent_at__gte=now - timedelta(days=campaign.quiet_period_days)
            )
        )
    else:
        recent = Value(False)
    members = (
        audience(campaign)
        .annotate(recent=recent)
        .order_by("pk")
        .values_list("pk", "erased_at", "opted_out_at", "undeliverable_at", "sms_opted_out_at", "phone", "recent")
    )
    quiet = quiet_reason(campaign.quiet_period_days)
    decisions = []
    for pk, erased, opted_out, undeliverable, sms_opted_out, phone, recent in members:
        reason = channel_skip_reason(
            campaign.channel,
            erased=erased,
            opted_out=opted_out,
            undeliverable=undeliverable,
            sms_opted_out=sms_opted_out,
            phone=phone,
        )
        decisions.append((pk, reason or (quiet if recent else "")))
    return decisions


def send_preview(campaign: Campaign) -> dict:
    """What pressing Send would do now, for the confirmation step: how many contacts would be
    invited, how many skipped and why (most common reason first), and whether the quiet period is
    short enough to warn about."""
    reasons = Counter(reason for _pk, reason in audience_decisions(campaign, now=timezone.now()))
    invite = reasons.pop("", 0)
    return {
        "invite": invite,
        "skip": sum(reasons.values()),
        "skip_reasons": [{"skip_reason": r, "n": n} for r, n in sorted(reasons.items(), key=lambda i: (-i[1], i[0]))],
        "quiet_days": campaign.quiet_period_days,
        "quiet_rule": quiet_rule(campaign.quiet_period_days),
        "quiet_warning": campaign.quiet_period_days < QUIET_WARNING_DAYS,
        "waves_before": campaign.waves.filter(started_at__isnull=False).count(),
        "sms": sms_rules(campaign),
    }


def current_wave(campaign: Campaign) -> SendWave | None:
    return campaign.waves.order_by("-number").first()


def wave_progress(wave: SendWave) -> dict:
    """Sent / skipped / failed / queued of the wave's total, counted in one SQL query, plus the
    skips broken down by reason."""
    counts = Invitation.objects.filter(wave=wave).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status__in=[Status.SENT, Status.ANSWERED, Status.BOUNCED])),
        skipped=Count("pk", filter=Q(status=Status.SKIPPED)),
        failed=Count("pk", filter=Q(status__in=[Status.FAILED, Status.BOUNCED])),
        bounced=Count("pk", filter=Q(status=Status.BOUNCED)),
        queued=Count("pk", filter=Q(status=Status.QUEUED)),
        answered=Count("pk", filter=Q(status=Status.ANSWERED)),
        waiting=Count("pk", filter=Q(status=Status.QUEUED, send_after__gt=timezone.now())),
    )
    # A bounce was sent, then failed: count it once, as failed.
    counts["sent"] -= counts["bounced"]
    total = counts["total"]
    counts["percent"] = round(100 * (total - counts["queued"]) / total) if total else (100 if wave.started_at else 0)
    counts["done"] = wave.finished_at is not None or (wave.started_at is not None and counts["queued"] == 0)
    counts["skip_reasons"] = list(
        Invitation.objects.filter(wave=wave, status=Status.SKIPPED)
        .order_by()
        .values("skip_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "skip_reason")
    )
    return counts


def send_refusal(campaign: Campaign, *, audience_size: int | None = None) -> str:
    """Why `campaign` cannot be sent now, or "" when it can.

    Sending creates the next wave, or moves one that has not started yet (a scheduled one, or one
    left behind when the campaign went back to draft) to the new time. It is refused for a
    campaign that does not send e-mail, is closed, is sending, is paused in the middle of a wave
    (resume it instead), or has nobody in its audience. `audience_size` saves a count when the
    caller has it already.
    """
    if campaign.channel not in SENDING_CHANNELS:
        return _(
            "Only e-mail and text-message campaigns send invitations; share the public link or embed the "
            "widget for other channels."
        )
    if campaign.status == S.CLOSED:
        return _("A closed campaign cannot be sent.")
    unfinished = campaign.waves.filter(finished_at__isnull=True)
    if campaign.status == S.PAUSED and unfinished.exists():
        return _("This campaign is paused in the middle of a sending; resume it to go on.")
    if campaign.status == S.SENDING or unfinished.filter(started_at__isnull=False).exists():
        return _("This campaign is still sending; wait for it to finish, or pause it.")
    if (audience(campaign).count() if audience_size is None else audience_size) == 0:
        return _("Nobody to send to: the audience has no contacts. Import contacts, or change the list or segment.")
    return ""


def send_panel(campaign: Campaign, *, progress_only: bool = False) -> dict:
    """What the campaign page's send panel shows (surveys/_send_panel.html): the current wave and
    its progress, whether to keep polling and how often, and (unless `progress_only`, for the
    polled part) the audience size and which actions are offered."""
    wave = current_wave(campaign)
    progress = wave_progress(wave) if wave else None
    waiting = wave is not None and wave.finished_at is None
    panel = {
        "sends": campaign.channel in SENDING_CHANNELS,
        "sms": sms_rules(campaign),
        "wave": wave,
        "progress": progress,
        # Poll while something can change: a wave that is scheduled or sending, unless paused.
        "polling": waiting and not (progress and progress["done"]) and campaign.status in (S.SCHEDULED, S.SENDING),
        "poll_seconds": _poll_seconds(wave, progress),
    }
    if not progress_only:
        # Every earlier wave keeps its figures on the page, newest first.
        earlier = campaign.waves.exclude(pk=wave.pk) if wave else campaign.waves.none()
        panel["earlier_waves"] = [
            {"wave": w, "progress": wave_progress(w)} for w in earlier.order_by("-number")[:WAVES_SHOWN]
        ]
        panel["quiet_rule"] = quiet_rule(campaign.quiet_period_days)
        panel["quiet_warning"] = campaign.quiet_period_days < QUIET_WARNING_DAYS
        size = audience(campaign).count()
        refusal = send_refusal(campaign, audience_size=size)
        panel.update(
            {
                "audience_size": size,
                "can_send": not refusal,
                "send_refusal": refusal,
                # Pausing an active campaign is a button of the page; the panel pauses a sending.
                "can_pause": campaign.status in (S.SCHEDULED, S.SENDING),
                "can_resume": campaign.status == S.PAUSED,
            }
        )
    return panel


def sms_rules(campaign: Campaign) -> dict | None:
    """For a text-message campaign, the rules that hold its messages back (None for other channels):
    the sending hours in each contact's time zone and the campaign's daily cap (None: no cap)."""
    if campaign.channel != Campaign.Channel.SMS:
        return None
    start, end = sending_hours()
    return {"start": start, "end": end, "daily_cap": campaign.sms_daily_cap}


def _poll_seconds(wave: SendWave | None, progress: dict | None) -> int:
    """Every 2 s while invitations are going out; slower while the wave waits for its time or
    only has spread-out invitations left for later."""
    if wave is None or (wave.started_at is None and wave.scheduled_for > timezone.now()):
        return 10
    if progress and progress["queued"] and progress["queued"] == progress["waiting"]:
        return 30
    return 2


def status_buttons(campaign: Campaign) -> list[str]:
    """The status changes the campaign page offers as plain buttons (and the only ones its status
    endpoint makes).

    surveys.lifecycle decides what is allowed at all. Changes that need the sending machinery (a
    wave to send or schedule, queued batches to pick up again on resume) are made through the
    send panel instead, so a button can never leave a half-sent wave behind."""
    by_email = campaign.channel in SENDING_CHANNELS  # sends invitations: resumed in the panel
    buttons = {
        S.CLOSED: True,
        S.PAUSED: campaign.status == S.ACTIVE,  # the panel pauses a scheduled or sending campaign
        # Opening a draft; or reopening a paused link-only campaign (e-mail ones resume in the panel).
        S.ACTIVE: campaign.status == S.DRAFT or (campaign.status == S.PAUSED and not by_email),
    }
    return [target for target in allowed_targets(campaign) if buttons.get(target, False)]
