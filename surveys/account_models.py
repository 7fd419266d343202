"""Accounts: the customer companies of B2B customers (issue #24). A contact belongs to at most one
account, optionally with a role. Imported into surveys.models, where Django finds them.

An account's health (`health`, `health_nps`, `health_n`) is derived data: the worker recounts it
(surveys.account_health) and nothing else writes it; routing and the revenue figures read it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Health(models.TextChoices):
    """An account's health label; which account gets which is surveys.account_rules.health_label."""

    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", pgettext_lazy("NPS category", "Passive")
    DETRACTOR = "detractor", _("Detractor")
    AT_RISK = "at_risk", _("At risk")
    SILENT = "silent", _("Silent")


class Role(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    USER = "user", _("User")
    CHAMPION = "champion", _("Champion")


class Account(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("account status", "Active")
        CHURNED = "churned", _("Churned")

    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    segment = models.CharField(_("segment"), max_length=80, blank=True, help_text=_("E.g. Enterprise, SMB."))
    # Other segment attributes (industry, region …), free-form keys as on contacts.
    attributes = models.JSONField(_("segment attributes"), default=dict, blank=True)
    arr = models.PositiveBigIntegerField(
        _("annual revenue (ARR)"), null=True, blank=True, help_text=_("In whole units of the currency.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
        verbose_name=_("account manager"),
    )
    team = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("team")
    )
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    churned_at = models.DateField(_("churned on"), null=True, blank=True)
    churn_reason = models.CharField(_("churn reason"), max_length=300, blank=True)
    # Derived (surveys.account_health): the account's NPS over its contacts' latest relational answers.
    health = models.CharField(_("health"), max_length=10, choices=Health.choices, blank=True)
    health_nps = models.FloatField(null=True, blank=True)
    health_n = models.PositiveIntegerField(default=0)
    health_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], name="account_external_id_unique", condition=Q(external_id__isnull=False)
            ),
            models.CheckConstraint(
                condition=Q(status="active", churned_at__isnull=True) | Q(status="churned", churned_at__isnull=False),
                name="account_churn_date_iff_churned",
            ),
        ]
        indexes = [
            models.Index(fields=["renewal_date"], name="account_renewal"),
            models.Index(fields=["arr"], name="account_arr"),
            models.Index(Lower("name"), name="account_name_lower"),  # the accounts list's sort by name
            models.Index(fields=["status", "churned_at"], name="account_status_churned"),
        ]

    def __str__(self):
        return self.name


class AccountProposal(models.Model):
    """An account proposed from contacts' free-text `company` (surveys.account_proposals): an admin
    confirms or rejects it; nothing is merged until they do."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To confirm")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    name = models.CharField(_("name"), max_length=200)
    # The exact company texts this proposal covers (spelling variants differing only in case and spaces).
    companies = models.JSONField(default=list)
    contact_count = models.PositiveIntegerField(default=0)
    # Other pending proposals whose name looks alike (rapidfuzz): [{"id": …, "name": …, "score": …}].
    similar = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-contact_count", "name"]
        verbose_name = _("account proposal")
        verbose_name_plural = _("account proposals")

    def __str__(self):
        return self.name


class AccountRevenueDay(models.Model):
    """The revenue figures of one day, per account team and segment, written by the health refresh
    (surveys.account_health) so the revenue at risk can be trended. Sums are in the reporting
    currency (settings.KRINGLOOP["CURRENCY"]); derived data, rebuilt from the accounts each day."""

    day = models.DateField()
    team_id = models.BigIntegerField(null=True)
    segment = models.CharField(max_length=80, blank=True)
    accounts = models.PositiveIntegerField(default=0)
    arr = models.PositiveBigIntegerField(default=0)  # all active accounts
    arr_answered = models.PositiveBigIntegerField(default=0)  # those with an account NPS
    arr_nps = models.FloatField(default=0)  # Σ ARR × NPS over those: ÷ arr_answered = revenue-weighted NPS
    arr_at_risk = models.PositiveBigIntegerField(default=0)  # health detractor or at risk
    arr_silent = models.PositiveBigIntegerField(default=0)  # health silent

    class Meta:
        indexes = [models.Index(fields=["day"], name="accountrevenue_day")]
