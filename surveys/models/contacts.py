"""Contacts, contact lists and contact imports."""

from django import forms
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.account_models import Account, Role
from surveys.addresses import validate_address
from surveys.phones import validate_time_zone


class AddressField(models.EmailField):
    """A contact's e-mail address, checked by the one address rule (surveys.addresses), which also
    accepts a UTF-8 local part when the e-mail provider can deliver it; Django's EmailField would not."""

    default_validators = [validate_address]

    def formfield(self, **kwargs):
        # A text input: browsers refuse a non-ASCII local part in type="email".
        widget = forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off", "spellcheck": "false"})
        return super().formfield(
            **{"form_class": forms.CharField, "validators": [validate_address], "widget": widget, **kwargs}
        )


class Contact(models.Model):
    email = AddressField(_("e-mail address"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    # E.164 ("+31612345678", surveys.phones): for the callback, shown as a tel: link, and for text messages.
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The contact's IANA time zone ("Europe/Amsterdam"); empty: their phone number's, else the site's.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "Such as Europe/Amsterdam. Text messages go out by day in this time zone; empty: the phone number's."
        ),
    )
    # Segment attributes (plan, region, account size …), free-form keys set by imports.
    attributes = models.JSONField(_("segment attributes"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        verbose_name=_("account owner"),
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts", verbose_name=_("account")
    )
    account_role = models.CharField(_("role in the account"), max_length=20, choices=Role.choices, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)  # of e-mail
    # Replied STOP to a text message: no more text messages (e-mail is its own opt-out, above).
    sms_opted_out_at = models.DateTimeField(_("opted out of text messages at"), null=True, blank=True)
    undeliverable_at = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "email"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="contact_email_unique_ci", condition=Q(erased_at__isnull=True)
            ),
            models.UniqueConstraint(
                fields=["external_id"], name="contact_external_id_unique", condition=Q(external_id__isnull=False)
            ),
        ]
        # Every refresh of the rollups and every dashboard read asks for the contacts changed since a
        # mark (scoring.changes): without it each asked for a scan of the whole table.
        indexes = [models.Index(fields=["updated_at"], name="contact_updated")]

    def __str__(self):
        return self.name or self.email

    @property
    def tel_url(self) -> str:
        """The phone number as a link to call it ("" without one): tel: with the spaces taken out."""
        return f"tel:{self.phone.replace(' ', '')}" if self.phone else ""

    @property
    def can_be_emailed(self) -> bool:
        return self.opted_out_at is None and self.undeliverable_at is None and self.erased_at is None


class ContactList(models.Model):
    """A named audience, usually the result of one CSV import."""

    name = models.CharField(_("name"), max_length=200)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="lists", verbose_name=_("contacts"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact list")
        verbose_name_plural = _("contact lists")

    def __str__(self):
        return self.name


class ContactImport(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPED = "mapped", _("Checked")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", pgettext_lazy("import status", "Failed")

    file = models.FileField(upload_to="imports/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    mapping = models.JSONField(default=dict, blank=True)  # csv column -> contact field / attribute
    match_on = models.CharField(max_length=20, default="email")  # email | external_id
    target_list = models.ForeignKey(ContactList, null=True, blank=True, on_delete=models.SET_NULL)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)  # [{"row": n, "errors": [...]}, …] (first 1000)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")

    def __str__(self):
        return f"Import {self.original_name} ({self.status})"
