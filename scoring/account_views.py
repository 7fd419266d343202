"""The accounts list and an account's page (#24): agents and admins (they name contacts and show
their answers); an agent sees the figures and answers of their own teams' surveys only."""

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from core.models import Team
from core.roles import admin_required, agent_required, answer_teams, viewer_required
from scoring import queries
from scoring.account_page import account_summary
from scoring.account_rollup import ACCOUNT_DAYS
from scoring.accounts import SORTS, account_page
from scoring.churn import churn_report
from scoring.revenue import revenue_summary
from surveys.models import CUSTOMER_KIND_CHOICES, Account, Role, Touchpoint

PAGE_SIZE = 50
KIND_CHOICES = (*CUSTOMER_KIND_CHOICES, ("all", gettext_lazy("Both (mixed)")))
# Accounts answer a relational survey a few times a year: a year by default, the period whose
# figures the worker stores per account (scoring.account_rollup).
DEFAULT_PERIOD = f"{ACCOUNT_DAYS}d"
SORT_LABELS = {
    "arr": gettext_lazy("ARR"),
    "nps": "NPS",
    "change": gettext_lazy("Change"),
    "renewal": gettext_lazy("Renewal"),
    "name": gettext_lazy("Name"),
}


def _filters(request):
    params = request.GET.copy()
    params.setdefault("period", DEFAULT_PERIOD)
    return queries.parse_filters(params, teams=answer_teams(request.user))


def _int(raw) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 18 else None


def revenue_groups(revenue: dict) -> list:
    return [(_("By account team"), revenue["by_team"]), (_("By segment"), revenue["by_segment"])]


@agent_required
@require_GET
def account_list(request):
    filters = _filters(request)
    sort = request.GET.get("sort", "-arr")
    if sort.lstrip("-") not in SORTS:
        sort = "-arr"
    status = request.GET.get("status", "active")
    status = status if status in (*Account.Status.values, "all") else "active"
    search = request.GET.get("q", "").strip()[:100]
    team = _int(request.GET.get("account_team", ""))
    number = _int(request.GET.get("page", "")) or 1
    with queries.one_look():
        rows, total, live = account_page(
            filters, status=status, search=search, team=team, sort=sort, page=number, size=PAGE_SIZE
        )
        revenue = revenue_summary(filters)
    pages = Paginator(range(total), PAGE_SIZE).get_page(number)
    keep = {key: value for key, value in request.GET.items() if key not in ("sort", "page")}
    context = {
        "filters": filters,
        "rows": rows,
        "total": total,
        "live": live,
        "pages": pages,
        "sort": sort,
        "sorts": list(SORT_LABELS.items()),
        "status": status,
        "search": search,
        "account_team": team,
        "keep": QueryDict(mutable=True),
        "revenue": revenue,
        "notices": list(filters.errors),
        "teams": Team.objects.order_by("name"),
        "touchpoints": Touchpoint.objects.all(),
        "kind_choices": KIND_CHOICES,
        "statuses": [*Account.Status.choices, ("all", _("All"))],
        "periods": [("30d", _("Last 30 days")), ("90d", _("Last 90 days")), ("365d", _("Last 12 months"))],
        "revenue_groups": revenue_groups(revenue),
    }
    context["keep"].update(keep)
    return render(request, "scoring/account_list.html", context)


@agent_required
@require_GET
def account_detail(request, pk: int):
    account = get_object_or_404(Account.objects.select_related("owner", "team"), pk=pk)
    filters = _filters(request)
    context = {
        "account": account,
        "filters": filters,
        "kind_label": dict(KIND_CHOICES)[filters.kind],
        "roles": Role.choices,
        **account_summary(account, filters),
    }
    return render(request, "scoring/account_detail.html", context)


@admin_required
@require_GET
def account_churn_report(request):
    return render(request, "scoring/account_churn.html", {"reports": churn_report()})


@viewer_required  # figures only, company-wide: no names
@require_GET
def dashboard_revenue(request):
    """The dashboard's revenue panel, loaded after its NPS panels (it reads the accounts)."""
    revenue = revenue_summary()
    context = {"revenue": revenue, "revenue_groups": revenue_groups(revenue), "on_dashboard": True}
    return render(request, "scoring/_revenue.html", context)
