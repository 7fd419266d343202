from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from core import privacy
        from webhooks import consistency
        from webhooks.events import deliveries_forget_contact, deliveries_naming_contact

        # Erasure: deliveries whose payload names the contact go (privacy's part of webhooks).
        privacy.register(
            "webhooks",
            export=lambda contact: {"webhook_deliveries": deliveries_naming_contact(contact_id=contact.pk)},
            erase=lambda contact: deliveries_forget_contact(contact_id=contact.pk),
        )
        consistency.register_checks()  # manage.py check_data
