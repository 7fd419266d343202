from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from core.roles import ADMIN, AGENT, ROLE_LABELS, VIEWER, has_role, user_role

# (label, url name, lowest role that may use it). Items whose page is not installed are left out.
# The bar fits a 1280-pixel screen: reports reached from the dashboard (themes, eNPS, the praise
# wall, …) are buttons there, not items here.
NAV_ITEMS = [
    (_("Dashboard"), "scoring:dashboard", VIEWER),
    (_("Comments"), "scoring:comment_list", VIEWER),
    (_("Accounts"), "scoring:account_list", AGENT),
    (_("My follow-ups"), "followups:followup_mine", AGENT),
    (_("Team queue"), "followups:followup_queue", AGENT),
    (_("Improvements"), "followups:improvement_list", AGENT),
    (_("Campaigns"), "surveys:campaign_list", ADMIN),
    (_("Contacts"), "surveys:contact_list", ADMIN),
    (_("Routing"), "followups:routing_rule_list", ADMIN),
]
# Administration pages, in the user menu to keep the bar short.
ADMIN_MENU = [
    (_("Users and teams"), "core:user_list"),
    (_("Touchpoints"), "surveys:touchpoint_list"),
    (_("Themes"), "themes:theme_list"),
    (_("Sign-in security"), "accounts:security"),
    (_("Outbox"), "core:outbox"),
    (_("Unmatched e-mails"), "followups:inbound_list"),
    (_("Reply templates"), "followups:reply_template_list"),
    (_("Audit log"), "core:audit_log"),
    (_("Data retention"), "core:retention"),
    (_("Webhooks"), "webhooks:endpoint_list"),
    (_("API tokens"), "api:token_list"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "admin_items": [], "user_role": None, "user_role_label": ""}
    items = []
    for label, name, role in NAV_ITEMS:
        if not has_role(user, role):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    admin_items = []
    if has_role(user, ADMIN):
        for label, name in ADMIN_MENU:
            admin_items.append({"label": label, "url": reverse(name), "active": request.path.startswith(reverse(name))})
    role = user_role(user)
    return {
        "nav_items": items,
        "admin_items": admin_items,
        "user_role": role,
        "user_role_label": ROLE_LABELS.get(role, ""),
    }
