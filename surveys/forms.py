from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MinValueValidator
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from surveys import services, wording
from surveys.addresses import normalise
from surveys.import_checks import AMBIGUOUS, find_account
from surveys.import_file import FIELDS, max_bytes, too_large_message
from surveys.models import Account, Campaign, Contact, ContactList
from surveys.phones import PhoneError, normalise_phone


def parse_segment(text: str) -> dict:
    """ "plan=pro, region=EU" → {"plan": "pro", "region": "EU"}."""
    result = {}
    for part in filter(None, (p.strip() for p in text.replace("\n", ",").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise forms.ValidationError(_("“%(part)s” is not attribute=value.") % {"part": part})
        if not key.strip().replace("_", "").replace("-", "").isalnum():
            raise forms.ValidationError(_("“%(name)s” is not a valid attribute name.") % {"name": key.strip()})
        result[key.strip()] = value.strip()
    return result


def _language_name(code: str) -> str:
    return translation.get_language_info(code)["name_translated"]


def add_translation_fields(form, record, texts: dict, languages: list[str], *, multiline=()) -> None:
    """Fields `tr_<language>_<text>` for each of `texts` in each of `languages`, filled from the
    record's translations, with the record's own text as placeholder (what is shown without one)."""
    form.translation_languages = languages
    form.translation_texts = texts
    stored = record.translations or {}
    for language in languages:
        for field, label in texts.items():
            name = f"tr_{language}_{field}"
            value = (stored.get(language) or {}).get(field, "")
            own = getattr(record, field, "")
            if field == "choices" or field in multiline:
                widget = forms.Textarea(attrs={"rows": 3 if field == "choices" else 2})
            else:
                widget = forms.TextInput()
            form.fields[name] = forms.CharField(
                required=False,
                max_length=2000 if field in multiline or field == "choices" else 300,
                label=f"{str(label)[:1].upper()}{str(label)[1:]}"
                + (f" ({_('one per line')})" if field == "choices" else ""),
                widget=widget,
            )
            form.initial[name] = "\n".join(value) if isinstance(value, list) else value
            placeholder = "\n".join(own) if isinstance(own, list) else own
            if placeholder:
                widget.attrs["placeholder"] = placeholder


def translation_groups(form) -> list[tuple[str, str, list]]:
    """(language code, its name, the bound translation fields) for the template."""
    return [
        (code, _language_name(code), [form[f"tr_{code}_{field}"] for field in form.translation_texts])
        for code in form.translation_languages
    ]


def cleaned_translations(form, data: dict, *, own_language: str | None) -> dict:
    """The translations as posted, for the languages other than the record's own."""
    posted = {}
    for language in form.translation_languages:
        if language == own_language:
            continue
        posted[language] = {}
        for field in form.translation_texts:
            value = data.get(f"tr_{language}_{field}") or ""
            posted[language][field] = [c.strip() for c in value.splitlines()] if field == "choices" else value
    return wording.translations_for(posted, list(form.translation_texts), list(posted))


class AddInPlaceFormSetMixin:
    """For the campaign builder's formsets that grow in place: `blank_form(index)` is the formset's
    `empty_form` with a real number instead of __prefix__ (surveys.builder_views sends it)."""

    def blank_form(self, index: int):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix(index),
            empty_permitted=True,
            use_required_attribute=False,
            renderer=self.renderer,
            **self.get_form_kwargs(None),
        )
        self.add_fields(form, None)
        return form


class CampaignForm(forms.ModelForm):
    segment = forms.CharField(
        required=False,
        label=_("Segment filter"),
        help_text=_("Contacts whose attributes match, e.g. plan=pro, region=EU. Empty: all contacts."),
    )

    class Meta:
        model = Campaign
        fields = [name for name in services.CAMPAIGN_FIELDS if name != "translations"]  # tr_* fields below
        widgets = {
            "email_intro": forms.Textarea(attrs={"rows": 2}),
            "thanks_promoter": forms.Textarea(attrs={"rows": 2}),
            "thanks_passive": forms.Textarea(attrs={"rows": 2}),
            "thanks_detractor": forms.Textarea(attrs={"rows": 2}),
            "send_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        labels = {
            "question": _("NPS question"),
            "why_question": _("“Why” question"),
            "why_detractor": _("“Why” question for detractors (0–6)"),
            "why_passive": _("“Why” question for passives (7–8)"),
            "why_promoter": _("“Why” question for promoters (9–10)"),
            "email_subject": _("E-mail subject"),
            "email_intro": _("E-mail introduction"),
            "thanks_promoter": _("Thank-you text for promoters (9–10)"),
            "thanks_passive": _("Thank-you text for passives (7–8)"),
            "thanks_detractor": _("Thank-you text for detractors (0–6)"),
            "followup_promoters": _("Open a case for promoters too"),
            "recurrence_days": _("Repeat every (days)"),
            "spread_days": _("Spread each sending over (days)"),
            "reminder_after_days": _("Reminder after (days)"),
            "quiet_period_days": _("Quiet period (days)"),
            "anonymous_link_enabled": _("Public link (web, QR code, in-app)"),
            "scale_low": _("Label of 0"),
            "scale_high": _("Label of 10"),
        }
        help_texts = {
            "question": _("Leave empty for the standard NPS question. {company} is replaced by your company name."),
            "why_question": _("Leave empty for “What is the most important reason for your score?”"),
            "why_detractor": _(
                "Asked instead after a score of 0–6, e.g. “What disappointed you?”. Empty: the question above."
            ),
            "why_passive": _(
                "Asked instead after a score of 7–8, e.g. “What would make it a 10?”. Empty: the question above."
            ),
            "why_promoter": _(
                "Asked instead after a score of 9–10, e.g. “What do you like most?”. Empty: the question above."
            ),
            "email_subject": _("Leave empty for a friendly default in the respondent's language."),
            "recurrence_days": _("Relational campaigns only: send again every N days."),
            "spread_days": _("Spread each sending over this many days instead of all at once."),
            "reminder_after_days": _("One reminder to non-responders after N days; empty for none."),
            "quiet_period_days": _("Skip contacts surveyed by any campaign in the last N days."),
            "send_at": _("When to send; the Send button can also send now."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].initial = ", ".join(f"{k}={v}" for k, v in (self.instance.audience_filter or {}).items())
        self.fields["audience_list"].queryset = ContactList.objects.all()
        self.fields["audience_list"].label = _("Contact list")
        if self.instance.pk is None:  # the product-wide defaults, set by the operator
            self.initial["quiet_period_days"] = settings.KRINGLOOP["QUIET_PERIOD_DAYS"]
            self.initial["reminder_after_days"] = settings.KRINGLOOP["REMINDER_AFTER_DAYS"]
        for name in ("recurrence_days", "reminder_after_days"):
            self.fields[name].min_value = 1
            self.fields[name].widget.attrs["min"] = 1
            self.fields[name].validators.append(MinValueValidator(1))
        # The wording used when a field is left empty, in the campaign's language.
        with translation.override(self.instance.language or settings.LANGUAGE_CODE):
            blank = Campaign(language=self.instance.language)
            self.fields["question"].widget.attrs["placeholder"] = wording.nps_question(blank)
            self.fields["why_question"].widget.attrs["placeholder"] = wording.why_question(blank)
            self.fields["email_subject"].widget.attrs["placeholder"] = wording.email_subject(blank)
            self.fields["email_intro"].widget.attrs["placeholder"] = wording.email_intro(blank)
            for category in ("promoter", "passive", "detractor"):
                self.fields[f"thanks_{category}"].widget.attrs["placeholder"] = wording.thanks_text(blank, category)
            low, high = wording.scale_ends(blank)
            self.fields["scale_low"].widget.attrs["placeholder"] = low
            self.fields["scale_high"].widget.attrs["placeholder"] = high
        self.instance.language = self.instance.language or settings.LANGUAGE_CODE
        add_translation_fields(
            self,
            self.instance,
            wording.CAMPAIGN_TEXTS,
            wording.other_languages(self.instance),
            multiline=("email_intro", "thanks_promoter", "thanks_passive", "thanks_detractor"),
        )

    def translation_groups(self):
        return translation_groups(self)

    def missing(self) -> list[tuple[str, list[str]]]:
        """(language name, the texts respondents in it read in the campaign's language instead)."""
        return wording.missing_by_language_name(self.instance) if self.instance.pk else []

    def clean_segment(self):
        return parse_segment(self.cleaned_data.get("segment", ""))

    def clean(self):
        data = super().clean()
        relational = data.get("kind") == Campaign.Kind.RELATIONAL
        if data.get("recurrence_days") and not relational:
            self.add_error("recurrence_days", _("Only relational campaigns recur."))
        if data.get("spread_days") and not relational:
            self.add_error(
                "spread_days",
                _("Only relational campaigns are spread over days; transactional ones follow their event."),
            )
        if data.get("spread_days") and data.get("recurrence_days") and data["spread_days"] >= data["recurrence_days"]:
            self.add_error("spread_days", _("Spread each sending over fewer days than the recurrence."))
        if data.get("spread_days") is not None and data["spread_days"] > 90:
            self.add_error("spread_days", _("At most 90 days."))
        if data.get("kind") == Campaign.Kind.TRANSACTIONAL and not data.get("touchpoint"):
            self.add_error("touchpoint", _("A transactional campaign asks about an event: choose its touchpoint."))
        if data.get("quiet_period_days") is not None and data["quiet_period_days"] > 365:
            self.add_error("quiet_period_days", _("At most 365 days."))
        for name in (
            "question",
            "why_question",
            "why_detractor",
            "why_passive",
            "why_promoter",
            "email_subject",
            "email_intro",
            "thanks_promoter",
            "thanks_passive",
            "thanks_detractor",
        ):
            if "{" in (data.get(name) or "").replace("{company}", ""):
                self.add_error(name, _("The only placeholder is {company}."))
        data["translations"] = cleaned_translations(self, data, own_language=data.get("language"))
        for language, texts in data["translations"].items():
            for field, text in texts.items():
                if isinstance(text, str) and "{" in text.replace("{company}", ""):
                    self.add_error(f"tr_{language}_{field}", _("The only placeholder is {company}."))
        return data


class AccountNameField(forms.CharField):
    """An account named as the contacts CSV names one: its external id or exact name; cleans to
    the Account (None when empty). Shows the stored account by name (by external id when another
    account has the same name)."""

    def prepare_value(self, value):
        if isinstance(value, Account):
            value = value.pk
        if not isinstance(value, int):
            return value
        account = Account.objects.filter(pk=value).first()
        if account is None:
            return ""
        shared = Account.objects.filter(name__iexact=account.name).exclude(pk=account.pk).exists()
        return account.external_id if shared and account.external_id else account.name

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        account_id, problem = find_account(text)
        if problem == AMBIGUOUS:
            raise forms.ValidationError(
                _("Two accounts are named “%(account)s”: give its external id.") % {"account": text[:80]}
            )
        if account_id is None:
            raise forms.ValidationError(
                _("No account has the external id or name “%(account)s”.") % {"account": text[:80]}
            )
        return Account.objects.get(pk=account_id)


class ContactForm(forms.ModelForm):
    account = AccountNameField(
        label=_("Account"),
        required=False,
        max_length=200,
        help_text=_("The account's external id or exact name (Accounts). Empty: in no account."),
    )
    attributes_text = forms.CharField(
        required=False,
        label=_("Segment attributes"),
        help_text=_("attribute=value, separated by commas, e.g. plan=pro, region=EU"),
    )
    opted_out = forms.BooleanField(
        required=False,
        label=_("Opted out: never e-mail this contact"),
        help_text=_("Only the contact can undo an opt-out."),
    )

    class Meta:
        model = Contact
        fields = list(services.CONTACT_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attributes_text"].initial = ", ".join(
            f"{k}={v}" for k, v in (self.instance.attributes or {}).items()
        )
        self.fields["account_owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["account_owner"].help_text = _("The staff member who looks after this customer.")
        if self.instance.opted_out_at:
            self.fields["opted_out"].initial = True
            self.fields["opted_out"].disabled = True
            self.fields["opted_out"].help_text = _("Since %(date)s. Only the contact can undo an opt-out.") % {
                "date": date_format(localtime(self.instance.opted_out_at), "SHORT_DATE_FORMAT")
            }

    def clean(self):
        data = super().clean()
        if data.get("account_role") and not data.get("account") and "account" not in self.errors:
            self.add_error("account_role", _("A role is a role in an account: choose the account too."))
        return data

    def clean_email(self):
        email = normalise(self.cleaned_data["email"])
        # The database enforces this too; Django skips that constraint here because it also
        # depends on erased_at, which the form does not edit.
        if Contact.objects.filter(email__iexact=email, erased_at__isnull=True).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another contact has this e-mail address."))
        return email

    def clean_phone(self):
        try:
            return normalise_phone(self.cleaned_data.get("phone", ""))
        except PhoneError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_attributes_text(self):
        return parse_segment(self.cleaned_data.get("attributes_text", ""))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "UTF-8 CSV with a header row; up to %(size)s MB. Excel: Save as “CSV UTF-8”."
        ) % {"size": max_bytes() // (1024 * 1024)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():  # checked before the file is read
            raise forms.ValidationError(too_large_message())
        return upload


class MappingForm(forms.Form):
    match_on = forms.ChoiceField(
        choices=[("email", _("E-mail address")), ("external_id", _("External id"))],
        label=_("Match existing contacts on"),
    )
    list_name = forms.CharField(required=False, max_length=200, label=_("Add imported contacts to a new list named"))

    def __init__(self, *args, headers, initial_mapping, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for i, header in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                choices=list(FIELDS.items()), label=header, initial=initial_mapping.get(header, "attribute")
            )

    def mapping(self) -> dict[str, str]:
        return {h: self.cleaned_data[f"col_{i}"] for i, h in enumerate(self.headers)}

    def column_fields(self):
        return [self[f"col_{i}"] for i in range(len(self.headers))]
