"""factory_boy factories for the core records."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import Team
from core.roles import assign_role
from surveys.models import Campaign, Category, Contact, Invitation, Response, Touchpoint


def category_for(score: int) -> str:
    return Category.PROMOTER if score >= 9 else Category.PASSIVE if score >= 7 else Category.DETRACTOR


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example.com")
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            assign_role(self, extracted)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint
        django_get_or_create = ("slug",)

    name = "Support"
    slug = factory.LazyAttribute(lambda t: t.name.lower())


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    attributes = factory.LazyFunction(lambda: {"plan": "pro", "region": "EU", "size": "smb"})


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    kind = Campaign.Kind.RELATIONAL
    status = Campaign.Status.ACTIVE
    touchpoint = factory.SubFactory(TouchpointFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    campaign = factory.SubFactory(CampaignFactory)
    contact = factory.SubFactory(ContactFactory)
    status = Invitation.Status.SENT
    sent_at = factory.LazyFunction(timezone.now)


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    campaign = factory.SubFactory(CampaignFactory)
    contact = factory.SubFactory(ContactFactory)
    score = 9
    category = factory.LazyAttribute(lambda r: category_for(r.score))
    kind = factory.LazyAttribute(lambda r: r.campaign.kind)
    touchpoint = factory.LazyAttribute(lambda r: r.campaign.touchpoint)
    team = factory.LazyAttribute(lambda r: r.campaign.team)
    channel = factory.LazyAttribute(lambda r: r.campaign.channel)
    submitted_at = factory.LazyFunction(timezone.now)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "followups.FollowUp"

    response = factory.SubFactory(ResponseFactory, score=3)
    contact = factory.LazyAttribute(lambda f: f.response.contact)
    category = factory.LazyAttribute(lambda f: f.response.category)
    due_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=2))


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "followups.RoutingRule"

    name = factory.Sequence(lambda n: f"Rule {n}")
    order = factory.Sequence(lambda n: n)
    target = "team_queue"


class QuestionFactory(factory.django.DjangoModelFactory):
    """A driver question (scoring tests)."""

    class Meta:
        model = "surveys.Question"

    campaign = factory.SubFactory(CampaignFactory)
    kind = "csat"
    text = factory.Sequence(lambda n: f"Driver question {n}")
    order = factory.Sequence(lambda n: n)


class AnswerFactory(factory.django.DjangoModelFactory):
    """An answer to a driver question (scoring tests)."""

    class Meta:
        model = "surveys.Answer"

    response = factory.SubFactory(ResponseFactory)
    question = factory.SubFactory(QuestionFactory)


class AccountFactory(factory.django.DjangoModelFactory):
    """A customer account (#24)."""

    class Meta:
        model = "surveys.Account"

    name = factory.Sequence(lambda n: f"Account {n} BV")
    segment = "SMB"
    arr = 10000
    currency = "EUR"
