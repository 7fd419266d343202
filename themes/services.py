"""What admins do with themes: define or edit one (names per language, phrases per language),
switch it off, and decide on a proposal (accept and name it, merge it into a theme, reject it).

Every change bumps the rules version (ThemeRules): the nightly pass then matches every comment
again under the new definitions; nothing is matched in the request."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from themes import text
from themes.models import Theme, ThemeProposal, ThemeRules


def parse_phrases(raw: str) -> list[str]:
    """Phrases as an admin types them: one per line or comma-separated, blanks dropped, each once."""
    seen, phrases = set(), []
    for part in raw.replace(",", "\n").splitlines():
        phrase = " ".join(part.split())
        if phrase and phrase.lower() not in seen:
            seen.add(phrase.lower())
            phrases.append(phrase)
    return phrases


def _bump() -> None:
    ThemeRules.objects.get_or_create(pk=1)
    ThemeRules.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now())


def theme_save(
    *,
    actor,
    name: str,
    names: dict | None = None,
    phrases: dict,
    active: bool = True,
    theme_id: int | None = None,
    source: str = Theme.Source.SEEDED,
) -> Theme:
    """Create or edit a theme. `name` is its English name, `names` {"nl": "…"}; `phrases`
    {"nl": [...], "en": [...]}. Refused (ValidationError) without a name, with a name another theme
    has, or without a single phrase that has a word besides stop words."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the theme a name.")})
    clash = Theme.objects.filter(name__iexact=name)
    if theme_id is not None:
        clash = clash.exclude(pk=theme_id)
    if clash.exists():
        raise ValidationError({"name": _("Another theme already has this name.")})
    cleaned = {lang: [p for p in phrases.get(lang, []) if p.strip()] for lang in text.LANGUAGES}
    if not any(text.stems(p, lang) for lang in text.LANGUAGES for p in cleaned[lang]):
        raise ValidationError(
            {"phrases_en": _("Give at least one example phrase or keyword (words other than ‘the’, ‘de’, ‘and’ …).")}
        )
    translations = {code: {"name": value.strip()} for code, value in (names or {}).items() if (value or "").strip()}
    with transaction.atomic():
        theme = Theme() if theme_id is None else Theme.objects.select_for_update().get(pk=theme_id)
        if theme_id is None:
            theme.source = source
        theme.name, theme.translations, theme.active = name, translations, active
        theme.phrases = {lang: values for lang, values in cleaned.items() if values}
        theme.save()
        _bump()
        audit_log(
            actor=actor,
            action="theme.created" if theme_id is None else "theme.updated",
            target=theme,
            data={"name": name, "phrases": theme.phrases, "active": active},
        )
    return theme


def theme_delete(*, actor, theme_id: int) -> None:
    """Delete a theme and every assignment of it (the comments stay)."""
    with transaction.atomic():
        theme = Theme.objects.get(pk=theme_id)
        audit_log(actor=actor, action="theme.deleted", target=theme, data={"name": theme.name})
        theme.delete()
        _bump()


def proposal_accept(*, actor, proposal_id: int, name: str, names: dict | None = None) -> Theme:
    """Accept a proposal as a new theme named `name`: its top words become the theme's phrases in
    the proposal's language."""
    with transaction.atomic():
        proposal = _open_proposal(proposal_id)
        theme = theme_save(
            actor=actor,
            name=name,
            names=names,
            phrases={proposal.language: list(proposal.terms[:6])},
            source=Theme.Source.DISCOVERED,
        )
        _decide(proposal, actor, ThemeProposal.Status.ACCEPTED, theme)
    return theme


def proposal_merge(*, actor, proposal_id: int, theme_id: int) -> Theme:
    """Merge a proposal into an existing theme: its top words join that theme's phrases."""
    with transaction.atomic():
        proposal = _open_proposal(proposal_id)
        theme = Theme.objects.select_for_update().filter(pk=theme_id).first()
        if theme is None:
            raise ValidationError(_("That theme no longer exists."))
        phrases = {lang: list(values) for lang, values in theme.phrases.items()}
        known = {p.lower() for p in phrases.get(proposal.language, [])}
        phrases.setdefault(proposal.language, []).extend(t for t in proposal.terms[:6] if t.lower() not in known)
        theme = theme_save(
            actor=actor,
            name=theme.name,
            names={code: t.get("name", "") for code, t in theme.translations.items()},
            phrases=phrases,
            active=theme.active,
            theme_id=theme.pk,
        )
        _decide(proposal, actor, ThemeProposal.Status.MERGED, theme)
    return theme


def proposal_reject(*, actor, proposal_id: int) -> None:
    """Reject a proposal; discovery does not propose the same words again."""
    with transaction.atomic():
        _decide(_open_proposal(proposal_id), actor, ThemeProposal.Status.REJECTED, None)


def _open_proposal(proposal_id: int) -> ThemeProposal:
    proposal = ThemeProposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None or proposal.status != ThemeProposal.Status.OPEN:
        raise ValidationError(_("That proposal was already decided on, or replaced by a newer one."))
    return proposal


def _decide(proposal: ThemeProposal, actor, status: str, theme: Theme | None) -> None:
    proposal.status, proposal.theme = status, theme
    proposal.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "theme", "decided_by", "decided_at"])
    audit_log(actor=actor, action=f"theme_proposal.{status}", target=proposal, data={"terms": proposal.terms[:8]})
