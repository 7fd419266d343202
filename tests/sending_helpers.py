"""What the sending tests share: start a wave as the worker would, send all of it in one batch."""

from surveys.batches import send_batch
from surveys.models import Invitation
from surveys.sending import campaign_send, wave_start


def statuses(wave) -> dict[str, str]:
    return dict(Invitation.objects.filter(wave=wave).values_list("contact__email", "status"))


def start(campaign, admin, **kwargs):
    """Send the campaign and start its wave at once (what the start task does after commit)."""
    wave = campaign_send(campaign=campaign, actor=admin, **kwargs)
    wave_start(wave_id=wave.pk)
    return wave


def send_all(wave):
    """Send every invitation of the wave in one batch."""
    return send_batch(
        wave_id=wave.pk, invitation_ids=list(Invitation.objects.filter(wave=wave).values_list("pk", flat=True))
    )
