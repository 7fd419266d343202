from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from followups import improvements, reply_templates, setup
from followups.models import FollowUp, Improvement, ReplyTemplate, RootCauseTag, RoutingRule, SLAPolicy
from surveys.models import Campaign, Category, Contact, Response, Touchpoint
from surveys.nps import category_for

User = get_user_model()


ATTEMPT_CHANNELS = [("phone", _("Phone")), ("email", _("E-mail")), ("meeting", _("Meeting"))]
ATTEMPT_RESULTS = [("reached", _("Reached")), ("voicemail", _("Voicemail")), ("no_answer", _("No answer"))]


class AttemptForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ATTEMPT_CHANNELS)
    result = forms.ChoiceField(label=_("Result"), choices=ATTEMPT_RESULTS)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class TagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        queryset=RootCauseTag.objects.filter(active=True), required=False, widget=forms.CheckboxSelectMultiple, label=""
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=FollowUp.Status.choices)
    summary = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Resolution summary (required to resolve)"),
    )
    reason = forms.CharField(required=False, max_length=200, label=_("Reason (required to close without contact)"))
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=200)


class ReplyForm(forms.Form):
    """The reply as the customer will read it: the greeting and the signature are the defaults
    (emails.reply_defaults) until the agent changes them; emptied, they are left out."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    greeting = forms.CharField(
        label=_("Greeting"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to start with your message."),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent from the company address; the customer's answer comes back to you."),
    )
    signature = forms.CharField(
        label=_("Signature"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty to send without one."),
    )

    def clean(self):
        data = super().clean()
        for name in ("greeting", "signature"):
            if self.add_prefix(name) not in self.data:  # not on the form that posted: the default
                data[name] = None
        return data


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label=_("New owner"))
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = candidates if candidates is not None else User.objects.filter(is_active=True)
        self.fields["owner"].widget.attrs["class"] = "form-select"


class BulkReassignForm(ReassignForm):
    followups = forms.ModelMultipleChoiceField(label=_("Cases"), queryset=FollowUp.objects.none())

    def __init__(self, *args, visible=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["followups"].queryset = visible if visible is not None else FollowUp.objects.none()


class RoutingRuleForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("Categories"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = RoutingRule
        fields = list(setup.RULE_FIELDS)

    def clean(self):
        data = super().clean()
        for name, message in setup.routing_rule_problems(data).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class RoutingTestForm(forms.Form):
    """Either a stored answer by number, or a made-up one described by its fields."""

    response = forms.IntegerField(
        label=_("Response number"),
        min_value=1,
        required=False,
        help_text=_("Or leave empty and describe an answer below."),
    )
    score = forms.IntegerField(label=_("Score"), min_value=0, max_value=10, required=False)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.order_by("name"), required=False)
    touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"),
        queryset=Touchpoint.objects.all(),
        required=False,
        help_text=_("Defaults to the campaign's touchpoint."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False)
    segment_key = forms.CharField(max_length=80, required=False, label=_("Contact attribute"))
    segment_value = forms.CharField(max_length=200, required=False, label=_("Attribute value"))
    account_owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("The contact's account owner"),
    )
    at_risk = forms.BooleanField(required=False, label=_("The customer's score dropped since their last answer"))

    def clean(self):
        data = super().clean()
        if data.get("response") is None and data.get("score") is None and not self.errors:
            raise forms.ValidationError(_("Give a response number, or a score for a made-up answer."))
        if data.get("segment_value") and not data.get("segment_key"):
            self.add_error("segment_key", _("Name the attribute the value belongs to."))
        return data

    def made_up_response(self) -> Response:
        """An unsaved answer built from the fields, for routing.explain_routing."""
        data = self.cleaned_data
        campaign, touchpoint = data.get("campaign"), data.get("touchpoint")
        contact = Contact(
            email="test@example.invalid",
            account_owner=data.get("account_owner"),
            attributes={data["segment_key"]: data["segment_value"]} if data.get("segment_key") else {},
        )
        return Response(
            campaign=campaign,
            touchpoint=touchpoint or (campaign.touchpoint if campaign else None),
            score=data["score"],
            category=category_for(data["score"]),
            contact=contact,
            language=data.get("language") or "",
            submitted_at=timezone.now(),
        )


class SLAForm(forms.ModelForm):
    class Meta:
        model = SLAPolicy
        fields = ["hours", "key_account_hours", "business_hours"]

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        problem = setup.sla_hours_problem(hours)
        if problem:
            raise forms.ValidationError(problem)
        return hours

    def clean_key_account_hours(self):
        hours = self.cleaned_data.get("key_account_hours")
        problem = setup.sla_hours_problem(hours) if hours is not None else ""
        if problem:
            raise forms.ValidationError(problem)
        return hours


class TagForm(forms.ModelForm):
    class Meta:
        model = RootCauseTag
        fields = ["name", "slug", "active"]


class ImprovementForm(forms.ModelForm):
    class Meta:
        model = Improvement
        fields = [*improvements.IMPROVEMENT_FIELDS, "tags"]
        widgets = {
            "description_en": forms.Textarea(attrs={"rows": 3}),
            "description_nl": forms.Textarea(attrs={"rows": 3}),
            "internal_notes": forms.Textarea(attrs={"rows": 2}),
            "tags": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "resurvey_campaign": _("Optional: invite the customers who asked to answer again in this campaign."),
            "keywords": _("Comma-separated words; comments containing them are suggested for linking."),
        }


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = list(reply_templates.FIELDS)
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def clean(self):
        data = super().clean()
        for name, message in reply_templates.template_problems(data).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data
