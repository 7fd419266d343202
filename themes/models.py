"""Themes in comments: the themes (seeded by admins or discovered and accepted), which comments name
which theme, each comment's language, and the themes the product proposes.

Assignments are derived data: the worker writes them (themes.assign), reports only read them. An
assignment copies its answer's dimensions, as scoring's rollups do, so a theme report filters this
one table and never scans the answers.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.models import translated_name


class Theme(models.Model):
    class Source(models.TextChoices):
        SEEDED = "seeded", pgettext_lazy("theme source", "Defined")
        DISCOVERED = "discovered", pgettext_lazy("theme source", "Discovered")

    name = models.CharField(_("name"), max_length=80, unique=True)
    # The name in other languages: {"nl": {"name": "Wachttijd"}} (surveys.models.translated_name).
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    # Example phrases or keywords per language: {"nl": ["wachttijd", "lang wachten"], "en": ["waiting time"]}.
    phrases = models.JSONField(_("phrases"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.SEEDED)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return translated_name(self)


class ThemeRules(models.Model):
    """A single row: the version of the theme definitions. Every change to a theme bumps it, and a
    comment analysed under an older version is matched again by the nightly pass."""

    version = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField(auto_now=True)
    last_pass_at = models.DateTimeField(null=True)  # when the nightly pass last finished
    last_pass_count = models.PositiveIntegerField(default=0)
    discovered_at = models.DateTimeField(null=True)  # when discovery last ran
    discovery_notes = models.JSONField(default=dict)  # language -> why it proposed nothing (an English msgid)


class CommentAnalysis(models.Model):
    """That an answer's comment was read: its language, when, under which version of the themes,
    and whether any theme matched (the comments no theme covers feed discovery)."""

    response = models.OneToOneField(
        "surveys.Response", on_delete=models.CASCADE, primary_key=True, related_name="comment_analysis"
    )
    language = models.CharField(max_length=8)
    analysed_at = models.DateTimeField()
    rules_version = models.PositiveIntegerField()
    themed = models.BooleanField(default=False)
    submitted_at = models.DateTimeField()  # copied: discovery reads recent uncovered comments

    class Meta:
        indexes = [models.Index(fields=["themed", "submitted_at"], name="analysis_themed_time")]


class CommentTheme(models.Model):
    """One answer naming one theme, with the answer's dimensions copied (kept current by the worker:
    an answer changed since its analysis is analysed again)."""

    response = models.ForeignKey("surveys.Response", on_delete=models.CASCADE, related_name="+", db_index=False)
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+", db_index=False)
    submitted_at = models.DateTimeField()
    day = models.DateField(null=True)  # submitted_at's local date (settings.TIME_ZONE): reports group by it
    category = models.CharField(max_length=10)
    kind = models.CharField(max_length=20)
    campaign_id = models.BigIntegerField()
    touchpoint_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=8)  # the answer's (as the dashboard filters it)
    contact_id = models.BigIntegerField(null=True)  # a segment filter asks the contacts, not a join per row

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "theme"], name="comment_theme_once")]
        # Reports read ThemeDay; the assignments are read per theme (its comments, newest first), and
        # by day only under a segment filter, which scans them.
        indexes = [models.Index(fields=["theme", "submitted_at"], name="comment_theme_by_theme")]


class ThemeDay(models.Model):
    """The assignments counted per local day, theme and answer dimensions, by category: what a theme
    report reads (one row per day, theme and combination of dimensions, however many comments name
    it). Derived from CommentTheme and kept equal to it by its one writer (themes.assign), in the
    same transaction, by adding what each batch removed and inserted; the nightly pass counts it
    again whole (themes.assign.count_theme_days). No touchpoint or team is stored as 0, not NULL,
    so the unique key holds on every database; a report's filters only ever ask for a real id."""

    day = models.DateField()
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20)
    campaign_id = models.BigIntegerField()
    touchpoint_id = models.BigIntegerField(default=0)
    team_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=8)
    # Plain integers (no CHECK): a count briefly out of step never makes the worker's write fail.
    promoters = models.IntegerField(default=0)
    passives = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "theme", "kind", "campaign_id", "touchpoint_id", "team_id", "channel", "language"],
                name="theme_day_once",
            )
        ]


class ThemeProposal(models.Model):
    """A theme discovery found among the comments no theme covers, for an admin to decide on."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("proposal status", "Open")
        ACCEPTED = "accepted", pgettext_lazy("proposal status", "Accepted")
        MERGED = "merged", pgettext_lazy("proposal status", "Merged")
        REJECTED = "rejected", pgettext_lazy("proposal status", "Rejected")

    language = models.CharField(max_length=8)
    terms = models.JSONField(default=list)  # the top words, most telling first
    stems = models.JSONField(default=list)  # their stems (what a rejection remembers)
    examples = models.JSONField(default=list)  # ids of the 5 most typical answers
    size = models.PositiveIntegerField(default=0)  # how many uncovered comments it gathers
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-size", "pk"]
        verbose_name = _("theme proposal")
        verbose_name_plural = _("theme proposals")

    def __str__(self):
        return ", ".join(self.terms[:5])
