"""The account rules, pure functions, no database: an account's NPS and health label, who owns
an account's cases, what counts as a key account. Every path (the worker's health refresh, the
accounts list, the account page, routing, the demo) asks these, so each rule is written once.

- **Account NPS**: the NPS (surveys.nps) over each of its contacts' *latest* answer, so a contact
  who answered five times counts once, with its latest opinion. The decision makers' NPS is the
  same over the contacts whose role is decision maker.
- **Health label** (first that holds):
  1. *at risk*: a decision maker's latest answer is a detractor's;
  2. *silent*: no contact has answered in the last SILENT_MONTHS months;
  3. else the account's category by its NPS: *promoter* from PROMOTER_NPS up, *detractor* below 0,
     *passive* in between (one contact's 9 or 10 is NPS 100, a 7 or 8 is 0, a 0–6 is −100).
"""

from datetime import date, datetime, timedelta

from surveys import nps

SILENT_MONTHS = 12  # no answer in this long: silent (README, "Accounts and revenue")
PROMOTER_NPS = 30  # an account NPS from here up is a promoting account
RENEWAL_SOON_DAYS = 90  # "renewal within 90 days": such accounts with a detractor decision maker come first
AT_RISK, SILENT = "at_risk", "silent"
HEALTHS = (nps.PROMOTER, nps.PASSIVE, nps.DETRACTOR, AT_RISK, SILENT)
RISKY = (nps.DETRACTOR, AT_RISK)  # the health labels whose ARR is "revenue at risk"
ROLE_WORDS = {  # what an import or the API may write for a role (English and Dutch)
    "decision_maker": "decision_maker",
    "decision maker": "decision_maker",
    "dm": "decision_maker",
    "beslisser": "decision_maker",
    "besluitvormer": "decision_maker",
    "user": "user",
    "gebruiker": "user",
    "champion": "champion",
    "ambassadeur": "champion",
}


def silent_since(now: datetime) -> datetime:
    """Answers before this moment no longer keep an account from being silent."""
    return now - timedelta(days=round(SILENT_MONTHS * 30.44))


def account_category(nps_value: float | None) -> str | None:
    """The category of an account by its NPS (None without answers)."""
    if nps_value is None:
        return None
    if nps_value >= PROMOTER_NPS:
        return nps.PROMOTER
    return nps.DETRACTOR if nps_value < 0 else nps.PASSIVE


def health_label(*, nps_value: float | None, dm_detractors: int, last_answer_at: datetime | None, now: datetime) -> str:
    """The account's health label (module docstring)."""
    if dm_detractors:
        return AT_RISK
    if last_answer_at is None or last_answer_at < silent_since(now) or nps_value is None:
        return SILENT
    return account_category(nps_value)


def renewal_soon(renewal_date: date | None, today: date) -> bool:
    return renewal_date is not None and today <= renewal_date <= today + timedelta(days=RENEWAL_SOON_DAYS)


def urgent(*, dm_detractors: int, renewal_date: date | None, today: date) -> bool:
    """A detractor decision maker and a renewal within 90 days: such accounts come first in the list."""
    return bool(dm_detractors) and renewal_soon(renewal_date, today)


def role_from_text(text: str) -> str | None:
    """A role from an import cell or API value ("" for none); None when the text is no role."""
    key = " ".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    if not key:
        return ""
    return ROLE_WORDS.get(key) or ROLE_WORDS.get(key.replace(" ", "_"))


def wilson(successes: int, n: int, z: float = nps.Z95) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of a rate (a share from 0 to 1), or None without cases."""
    if not n:
        return None
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * ((p * (1 - p) + z * z / (4 * n)) / n) ** 0.5
    denominator = 1 + z * z / n
    return max((centre - spread) / denominator, 0.0), min((centre + spread) / denominator, 1.0)


def case_owner(contact):
    """Who owns a contact's account relationship: the contact's own account owner, else their
    account's account manager (None without either). Routing's "account owner" target asks this."""
    if contact is None:
        return None
    if contact.account_owner_id:
        return contact.account_owner
    account = contact.account if contact.account_id else None
    return account.owner if account is not None and account.owner_id else None


def convert(arr: int | None, currency: str, *, rates: dict[str, float]) -> float | None:
    """ARR in the reporting currency: × the fixed rate of its currency (`rates`, the reporting
    currency's own 1.0); None without an ARR or without a rate for its currency."""
    rate = rates.get(currency)
    return None if arr is None or rate is None else arr * rate


def key_account(account, *, threshold: int, rates: dict[str, float]) -> bool:
    """An active account whose ARR, in the reporting currency, reaches `threshold` (KEY_ACCOUNT_ARR)."""
    if account is None or account.status != "active":
        return False
    arr = convert(account.arr, account.currency, rates=rates)
    return arr is not None and arr >= threshold
