"""`{% send_panel_state campaign as panel %}`: what the send panel shows, so any page can include
`surveys/_send_panel.html` with only `campaign` in its context."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from surveys import sending
from surveys.lifecycle import can_transition
from surveys.models import Campaign

register = template.Library()
S = Campaign.Status


@register.simple_tag
def send_panel_state(campaign: Campaign, progress_only: bool = False) -> dict:
    wave = sending.current_wave(campaign)
    progress = sending.wave_progress(wave) if wave else None
    waiting = wave is not None and wave.finished_at is None
    state = {
        "wave": wave,
        "progress": progress,
        # Poll while something can change: a wave that is scheduled or sending, unless paused.
        "polling": waiting and not (progress and progress["done"]) and campaign.status in (S.SCHEDULED, S.SENDING),
        "poll_seconds": _poll_seconds(wave, progress),
    }
    if not progress_only:
        state.update(
            {
                "can_send": campaign.channel == Campaign.Channel.EMAIL and campaign.status != S.CLOSED and not waiting,
                "can_pause": can_transition(campaign.status, S.PAUSED) and campaign.status in (S.SCHEDULED, S.SENDING),
                "can_resume": campaign.status == S.PAUSED,
                "audience_size": sending.audience(campaign).count()
                if campaign.channel == Campaign.Channel.EMAIL
                else 0,
            }
        )
    return state


@register.filter
def skip_reason_label(reason: str) -> str:
    """A stored skip reason (English, see surveys.sending) in the reader's language."""
    quiet = sending.QUIET_REASON.match(reason or "")
    if quiet:
        days = int(quiet.group(1))
        return ngettext("surveyed in the last %(days)s day", "surveyed in the last %(days)s days", days) % {
            "days": days
        }
    return gettext(reason) if reason else ""


def _poll_seconds(wave, progress) -> int:
    """Every 2 s while invitations are going out; slower while the wave waits for its time or
    only has spread-out invitations left for later."""
    if wave is None or (wave.started_at is None and wave.scheduled_for > timezone.now()):
        return 10
    if progress and progress["queued"] and progress["queued"] == progress["waiting"]:
        return 30
    return 2
