"""The demo's people: the staff (users, their roles and teams) and the customers (contacts with
segment attributes, a demo import list, a few opted out)."""

import unicodedata
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import Team, UserProfile
from core.roles import assign_role
from demo.chance import weighted
from surveys.addresses import address_problem, normalise
from surveys.models import Contact, ContactList

User = get_user_model()

FIRST_NAMES = [
    "Anna",
    "Bram",
    "Chloe",
    "Daan",
    "Emma",
    "Finn",
    "Gijs",
    "Hanna",
    "Isa",
    "Jesse",
    "Julia",
    "Lars",
    "Lotte",
    "Milan",
    "Noah",
    "Olivia",
    "Pieter",
    "Roos",
    "Sam",
    "Sophie",
    "Thomas",
    "Vera",
    "Willem",
    "Yara",
    "Zoë",
    "Liam",
    "Mia",
    "Lucas",
    "Nora",
    "Ruben",
]

# Mobile numbers kept for fiction (Australia's ACMA: never assigned to anyone), in E.164 as the
# import stores numbers: valid mobiles, so the demo's text-message campaigns reach the outbox (the
# UK's drama range, used before, is not a valid number: every text was skipped as "no mobile number").
FICTION_MOBILES = [
    "+61491570006",
    "+61491570156",
    "+61491570157",
    "+61491570158",
    "+61491570159",
    "+61491570110",
    "+61491570313",
    "+61491570737",
    "+61491571266",
    "+61491571491",
    "+61491571804",
    "+61491572549",
    "+61491572665",
    "+61491572983",
    "+61491573770",
    "+61491573087",
    "+61491574118",
    "+61491574632",
    "+61491575254",
    "+61491575789",
]


LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "de Boer",
    "Bos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Smith",
    "Brown",
    "Taylor",
    "Wilson",
    "Clarke",
    "Evans",
    "Walker",
    "Hughes",
]


COMPANIES = [
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Acme Retail",
    "Blue Harbor",
    "Polder Tech",
    "Zuidas Finance",
    "Maas Logistics",
    "Delta Foods",
    "Orbit Media",
]
PLANS = [("starter", 0.45), ("pro", 0.4), ("enterprise", 0.15)]
REGIONS = [("EU", 0.55), ("NA", 0.3), ("APAC", 0.15)]
SIZES = {"starter": "smb", "pro": "mid", "enterprise": "large"}


def make_users():
    def user(username, first, last, role, password="demo"):
        u, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@kringloop.example"},
        )
        if created:
            u.set_password(password)
            u.save()
        assign_role(u, role)
        UserProfile.objects.get_or_create(user=u)
        return u

    admin = user("admin", "Ada", "Admin", "admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    agent = user("agent", "Arthur", "Agent", "agent")
    viewer = user("viewer", "Vera", "Viewer", "viewer")
    lena = user("lena", "Lena", "Lead", "agent")
    sam = user("sam", "Sam", "Support-lead", "agent")
    mila = user("mila", "Mila", "Jansen", "agent")
    joris = user("joris", "Joris", "Bakker", "agent")
    success, _ = Team.objects.get_or_create(name="Customer Success", defaults={"lead": lena, "nps_target": 40})
    support, _ = Team.objects.get_or_create(name="Support", defaults={"lead": sam, "nps_target": 30})
    success.members.add(lena, agent, mila)
    support.members.add(sam, joris, agent)
    return {
        "admin": admin,
        "agent": agent,
        "viewer": viewer,
        "lena": lena,
        "sam": sam,
        "mila": mila,
        "joris": joris,
        "success": success,
        "support": support,
    }


def demo_address(first: str, last: str, number: int, company: str) -> str:
    """A demo contact's address, as the address rule accepts it: `zoë.jansen.3@…` where the e-mail
    provider can deliver a UTF-8 local part, else the letters without their accents (`zoe…`)."""
    address = normalise(f"{first}.{last.replace(' ', '')}.{number}@{company.replace(' ', '')}.example")
    if address_problem(address):
        address = unicodedata.normalize("NFKD", address).encode("ascii", "ignore").decode("ascii")
    return address


def make_contacts(rng, count, people):
    owners = [people["lena"], people["mila"], people["agent"], None]
    existing = Contact.objects.count()
    batch = []
    for i in range(existing, count):
        plan = weighted(rng, PLANS)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        language = "nl" if rng.random() < 0.3 else "en"
        batch.append(
            Contact(
                email=demo_address(first, last, i, rng.choice(COMPANIES)),
                name=f"{first} {last}",
                external_id=f"CRM-{10000 + i}",
                company=rng.choice(COMPANIES),
                phone=FICTION_MOBILES[i % len(FICTION_MOBILES)] if i % 3 else "",  # two in three have a mobile
                time_zone="Europe/Amsterdam" if i % 3 else "",  # texted by Dutch daylight, not the number's
                attributes={"plan": plan, "region": weighted(rng, REGIONS), "size": SIZES[plan]},
                language=language,
                account_owner=rng.choice(owners),
            )
        )
    Contact.objects.bulk_create(batch, batch_size=2000)
    contacts = list(Contact.objects.order_by("id")[:count])
    demo_list, _ = ContactList.objects.get_or_create(name="All customers (demo import)")
    demo_list.contacts.add(*contacts[: min(len(contacts), 5000)])
    for contact in rng.sample(contacts, max(1, len(contacts) // 60)):
        contact.opted_out_at = timezone.now() - timedelta(days=rng.randint(1, 200))
    Contact.objects.bulk_update([c for c in contacts if c.opted_out_at], ["opted_out_at"])
    return contacts
