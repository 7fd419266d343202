"""Touchpoints: the stages of the customer journey a campaign belongs to (sales, onboarding,
support …), managed by admins on a staff page: created and renamed, ordered along the journey,
named in each language (`translations`, read by surveys.wording.translated / translated_name).

Services take plain values and write; `touchpoint_rows` reads."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils.text import slugify
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from core.audit import audit_log
from surveys.models import Touchpoint


def other_languages() -> list[tuple[str, str]]:
    """The languages a touchpoint gets a name in besides its own (the site's default language)."""
    return [
        (code, get_language_info(code)["name_translated"])
        for code, _name in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
    ]


def touchpoint_rows():
    """Every touchpoint along the journey, with how many campaigns use it."""
    return Touchpoint.objects.annotate(campaigns=Count("campaign", distinct=True)).order_by("order", "name")


def touchpoint_save(*, actor, name: str, names: dict | None = None, touchpoint_id: int | None = None) -> Touchpoint:
    """Create a touchpoint (last along the journey) or rename one. `name` is its name in the site's
    default language; `names` maps another language's code to its name there (empty: none).
    Refused (ValidationError on "name") for an empty name or one another touchpoint has."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the touchpoint a name.")})
    clash = Touchpoint.objects.filter(name__iexact=name)
    if touchpoint_id is not None:
        clash = clash.exclude(pk=touchpoint_id)
    if clash.exists():
        raise ValidationError({"name": _("Another touchpoint already has this name.")})
    known = {code for code, _label in other_languages()}
    translations = {
        code: {"name": text.strip()} for code, text in (names or {}).items() if code in known and (text or "").strip()
    }
    with transaction.atomic():
        if touchpoint_id is None:
            last = Touchpoint.objects.aggregate(n=Max("order"))["n"]
            touchpoint = Touchpoint(order=0 if last is None else last + 1, slug=_free_slug(name))
        else:
            touchpoint = Touchpoint.objects.select_for_update().get(pk=touchpoint_id)
        touchpoint.name = name
        # Other texts a translation may hold someday are kept; the names are replaced.
        kept = {
            code: {k: v for k, v in texts.items() if k != "name"} for code, texts in touchpoint.translations.items()
        }
        for code, texts in translations.items():
            kept.setdefault(code, {}).update(texts)
        touchpoint.translations = {code: texts for code, texts in kept.items() if texts}
        touchpoint.save()
        audit_log(
            actor=actor,
            action="touchpoint.created" if touchpoint_id is None else "touchpoint.updated",
            target=touchpoint,
            data={"name": name, "names": {code: t["name"] for code, t in translations.items()}},
        )
    return touchpoint


def touchpoint_move(*, actor, touchpoint_id: int, position: int) -> None:
    """Move a touchpoint to `position` along the journey (1 is first; beyond the end is last) in
    one step; the others keep their order and are numbered 0, 1, 2 … again."""
    with transaction.atomic():
        touchpoints = list(Touchpoint.objects.select_for_update().order_by("order", "name"))
        moving = next((t for t in touchpoints if t.pk == touchpoint_id), None)
        if moving is None:
            raise ValidationError(_("That touchpoint no longer exists."))
        touchpoints.remove(moving)
        touchpoints.insert(min(max(position, 1), len(touchpoints) + 1) - 1, moving)
        for index, touchpoint in enumerate(touchpoints):
            if touchpoint.order != index:
                touchpoint.order = index
                touchpoint.save(update_fields=["order"])
        audit_log(actor=actor, action="touchpoint.moved", target=moving, data={"position": position})


def _free_slug(name: str) -> str:
    base = slugify(name)[:70] or "touchpoint"
    slug, n = base, 2
    while Touchpoint.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
