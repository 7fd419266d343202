"""Campaigns, contacts, invitations and responses: the front half of the loop.

One module per concern; every model is imported here, where Django finds the app's models, and
`from surveys.models import X` is the way to import one:
- common: a record's translated name, the URL tokens
- touchpoints: the stages of the customer journey
- contacts: contacts (and their address field), contact lists, contact imports
- campaigns: campaigns, the customer survey types, driver questions
- sending: sending waves and invitations
- responses: the response categories, responses, answers to driver questions
The account, review-site and widget models live in surveys/account_models.py, review_models.py and
widget_models.py, and are imported here too.
"""

# isort: off
# The order is the order Django registers the models in (apps.get_models()), as it was in one module.
from surveys.account_models import Account, AccountProposal, AccountRevenueDay, Health, Role
from surveys.review_models import ReviewClick, ReviewSite
from surveys.models.common import new_token, translated_name
from surveys.models.touchpoints import Touchpoint
from surveys.models.contacts import AddressField, Contact, ContactImport, ContactList
from surveys.models.campaigns import CUSTOMER_KIND_CHOICES, CUSTOMER_KINDS, Campaign, Question
from surveys.models.sending import Invitation, SendWave
from surveys.models.responses import Answer, Category, Response
from surveys.widget_models import WidgetSettings, WidgetSighting
# isort: on

__all__ = [
    "CUSTOMER_KINDS",
    "CUSTOMER_KIND_CHOICES",
    "Account",
    "AccountProposal",
    "AccountRevenueDay",
    "AddressField",
    "Answer",
    "Campaign",
    "Category",
    "Contact",
    "ContactImport",
    "ContactList",
    "Health",
    "Invitation",
    "Question",
    "Response",
    "ReviewClick",
    "ReviewSite",
    "Role",
    "SendWave",
    "Touchpoint",
    "WidgetSettings",
    "WidgetSighting",
    "new_token",
    "translated_name",
]
