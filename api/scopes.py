"""What an API token may do. A view declares the scope it needs (api.permissions.HasScope)."""

from django.utils.translation import gettext_lazy as _

CONTACTS_READ = "contacts:read"
CONTACTS_WRITE = "contacts:write"
SURVEYS_TRIGGER = "surveys:trigger"
RESPONSES_READ = "responses:read"
FOLLOWUPS_READ = "followups:read"
FOLLOWUPS_WRITE = "followups:write"
NPS_READ = "nps:read"
ACCOUNTS_READ = "accounts:read"
ACCOUNTS_WRITE = "accounts:write"

SCOPES = {
    CONTACTS_READ: _("Read contacts"),
    CONTACTS_WRITE: _("Create and update contacts, and opt them out"),
    SURVEYS_TRIGGER: _("Send transactional surveys"),
    RESPONSES_READ: _("Read responses, comments and driver answers"),
    FOLLOWUPS_READ: _("Read follow-up cases and their history"),
    FOLLOWUPS_WRITE: _("Change the status of follow-up cases and add notes"),
    NPS_READ: _("Read NPS summaries"),
    ACCOUNTS_READ: _("Read accounts and the revenue figures"),
    ACCOUNTS_WRITE: _("Create and update accounts, and record churn"),
}
