"""Scoring's own state: company targets and rollups of surveys data; the reports' records (board
reports, scheduled reports, alerts) are in scoring.report_models, imported at the end.

The rollups (Daily*, LatestScore) are derived data kept current by scoring.rollup.refresh_rollup():
the dashboard reads a few thousand of their rows instead of scanning millions of responses. Each
can be rebuilt from surveys at any time; nothing else writes to them.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CompanySettings(models.Model):
    """Company-wide targets and the eNPS anonymity thresholds (a single row)."""

    nps_target = models.IntegerField(_("company NPS target"), null=True, blank=True)
    # eNPS (scoring.enps): no group smaller than this is shown, and comments only of groups of at
    # least enps_comment_min answers. Admins may raise them, never below 5 (scoring.enps.FLOOR).
    enps_min_group = models.PositiveSmallIntegerField(_("smallest eNPS group shown"), default=5)
    enps_comment_min = models.PositiveSmallIntegerField(_("smallest eNPS group whose comments are shown"), default=10)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(enps_min_group__gte=5), name="enps_min_group_at_least_5"),
            models.CheckConstraint(
                condition=Q(enps_comment_min__gte=models.F("enps_min_group")), name="enps_comment_min_at_least_group"
            ),
        ]
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")

    def __str__(self):
        return f"company target {self.nps_target}"


class _Cut(models.Model):
    """What every rollup is cut by: the local day and the campaign's dimensions."""

    day = models.DateField()
    kind = models.CharField(max_length=20)
    campaign_id = models.BigIntegerField()
    touchpoint_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=10)

    class Meta:
        abstract = True


class _Dimensions(_Cut):
    """A response rollup: also the response's language, and how many answers gave each score."""

    language = models.CharField(max_length=8)
    score = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField()

    class Meta:
        abstract = True


class DailyScore(_Dimensions):
    """How many answers of each score a day had, per campaign/touchpoint/team/channel/language."""

    class Meta:
        indexes = [models.Index(fields=["day", "kind"], name="dailyscore_day_kind")]


class DailySegmentScore(_Dimensions):
    """DailyScore once more for each rolled-up segment key (plan, region, size) and its value.

    `value` is the contact's current attribute (NULL without one or without a contact), so a
    segment cut read here equals the same cut joined live against contacts.
    """

    key = models.CharField(max_length=80)
    value = models.CharField(max_length=200, null=True)

    class Meta:
        indexes = [models.Index(fields=["key", "value", "day"], name="dailysegment_key_value_day")]


class DailyDriverAnswer(_Dimensions):
    """Answers to driver questions per day, question and answer, by the NPS score given with them.

    CSAT/effort answers keep their number (for averages); a single choice keeps the option in
    `value`; a multiple-choice answer counts once for each option chosen. Free text is not rolled up.
    """

    question_id = models.BigIntegerField()
    number = models.SmallIntegerField(null=True)
    value = models.CharField(max_length=300, blank=True)
    # Each answer is counted once with segment_key "" and once per rolled-up segment key, so a
    # segment filter reads its own rows here too.
    segment_key = models.CharField(max_length=80, default="")
    segment_value = models.CharField(max_length=200, null=True)

    class Meta:
        indexes = [models.Index(fields=["segment_key", "day"], name="dailydriver_segment_day")]


class DailyInvitations(_Cut):
    """Invitations by local day of sending: how many were sent (invited), bounced, delivered (not
    bounced or failed), answered, and answered with a comment (the dashboard's delivery funnel)."""

    invited = models.PositiveIntegerField(default=0)
    bounced = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    commented = models.PositiveIntegerField(default=0)
    # As in DailyDriverAnswer: "" for all invitations, and once per rolled-up segment key.
    segment_key = models.CharField(max_length=80, default="")
    segment_value = models.CharField(max_length=200, null=True)

    class Meta:
        indexes = [models.Index(fields=["segment_key", "day"], name="dailyinvitations_segment_day")]


class LatestScore(models.Model):
    """Each contact's latest answer of each kind, with the answer before it (LAG in SQL).

    The dashboard's "at risk" panel reads it: a latest answer a category or 3+ points below the
    previous one.
    """

    response = models.OneToOneField("surveys.Response", on_delete=models.CASCADE, related_name="+")
    contact_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    # The response's dimensions and the contact's attributes, copied so the panel filters this
    # table alone (a contact whose attributes change is recounted).
    campaign_id = models.BigIntegerField()
    touchpoint_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=8)
    attributes = models.JSONField(default=dict)
    # The contact's account and role in it, copied like the attributes: the accounts list groups
    # this table by account (scoring.accounts). No database constraint: a rollup row never blocks
    # deleting an account, and the next refresh drops what points nowhere.
    account = models.ForeignKey(
        "surveys.Account", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="latest_scores"
    )
    account_role = models.CharField(max_length=20, default="")
    submitted_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=10)
    prev_score = models.PositiveSmallIntegerField(null=True)
    prev_category = models.CharField(max_length=10, null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact_id", "kind"], name="latestscore_contact_kind")]
        indexes = [
            models.Index(
                fields=["submitted_at"], name="latestscore_dropped_time", condition=Q(prev_score__isnull=False)
            ),
            models.Index(fields=["account", "kind"], name="latestscore_account_kind"),
        ]


class AccountScore(models.Model):
    """Each account's figures over its contacts' latest answers (LatestScore) given since `since`,
    the first day of the accounts list's default period (the last ACCOUNT_DAYS days), per survey
    type ("all": both customer types), so the list sorts and pages 100,000 accounts without
    grouping answers. Derived data: only the rollup refresh writes it (scoring.account_rollup);
    the list reads it (scoring.accounts). An account without such answers has no row."""

    account = models.ForeignKey(
        "surveys.Account", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="scores"
    )
    kind = models.CharField(max_length=20)
    since = models.DateField()
    n = models.PositiveIntegerField(default=0)
    p = models.PositiveIntegerField(default=0)
    pa = models.PositiveIntegerField(default=0)
    d = models.PositiveIntegerField(default=0)
    dm_n = models.PositiveIntegerField(default=0)
    dm_p = models.PositiveIntegerField(default=0)
    dm_pa = models.PositiveIntegerField(default=0)
    dm_d = models.PositiveIntegerField(default=0)
    prev_n = models.PositiveIntegerField(default=0)
    prev_p = models.PositiveIntegerField(default=0)
    prev_d = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(null=True)
    nps = models.FloatField(null=True)  # for sorting; the page works its figures out from the counts
    change = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="accountscore_account_kind")]
        # The accounts list walks these in order, with a LIMIT, when it sorts by NPS or change, and
        # finds its urgent accounts (a detractor decision maker) by the last one.
        indexes = [
            models.Index(fields=["kind", "-nps", "account"], name="accountscore_kind_nps"),
            models.Index(fields=["kind", "-change", "account"], name="accountscore_kind_change"),
            models.Index(fields=["kind", "account"], condition=Q(dm_d__gt=0), name="accountscore_dm_detractors"),
        ]


class RollupState(models.Model):
    """How far the rollups have counted (a single row).

    For each source the newest change counted (`*_mark`) and how many rows had changed within the
    late-commit margin before it (`*_seen`): a transaction that commits late, with a change time
    already behind the mark, still changes that count and is picked up.
    """

    built_at = models.DateTimeField(null=True)
    watermark = models.DateTimeField(null=True)  # Response.updated_at
    watermark_seen = models.PositiveIntegerField(default=0)
    contacts_mark = models.DateTimeField(null=True)  # Contact.updated_at
    contacts_seen = models.PositiveIntegerField(default=0)
    contacts_checked_at = models.DateTimeField(null=True)
    invitations_mark = models.DateTimeField(null=True)  # Invitation.sent_at
    invitations_seen = models.PositiveIntegerField(default=0)
    invitations_frozen_through = models.DateField(null=True)
    refreshed_at = models.DateTimeField(null=True)  # when the last refresh that succeeded started
    failed_at = models.DateTimeField(null=True)  # when the last refresh failed
    error = models.CharField(max_length=300, blank=True)  # why, while no refresh has succeeded since
    # The first day AccountScore counts (scoring.account_rollup); None: not counted yet.
    accounts_since = models.DateField(null=True)

    def __str__(self):
        return f"rollup counted through {self.watermark}"


# The reports' records, kept in a module of their own (Django finds models imported here).
from scoring.report_models import BoardReport, NpsAlert, ReportSubscription  # noqa: E402

__all__ = [
    "BoardReport",
    "CompanySettings",
    "DailyDriverAnswer",
    "DailyInvitations",
    "DailyScore",
    "DailySegmentScore",
    "LatestScore",
    "NpsAlert",
    "ReportSubscription",
    "RollupState",
]
