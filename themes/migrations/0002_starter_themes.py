"""A starter set of themes in Dutch and English; admins edit, deactivate or delete them on /themes/."""

from django.db import migrations

STARTER = [
    (
        "Waiting time",
        "Wachttijd",
        ["wachten", "wachttijd", "duurde lang", "reactietijd", "traag"],
        ["wait", "waiting time", "slow", "delay"],
    ),
    ("Price", "Prijs", ["prijs", "duur", "kosten", "goedkoop", "tarief"], ["price", "expensive", "cost", "cheap"]),
    (
        "Billing",
        "Facturatie",
        ["factuur", "facturatie", "betaling", "incasso", "rekening"],
        ["invoice", "billing", "payment", "charged"],
    ),
    (
        "Staff and service",
        "Medewerkers en service",
        ["medewerker", "klantenservice", "behulpzaam", "helpdesk"],
        ["staff", "customer service", "helpdesk", "support team"],
    ),
    (
        "Ease of use",
        "Gebruiksgemak",
        ["gebruiksvriendelijk", "makkelijk", "eenvoudig", "overzichtelijk", "ingewikkeld"],
        ["easy", "simple", "intuitive", "user friendly", "complicated", "confusing"],
    ),
    (
        "Reliability",
        "Betrouwbaarheid",
        ["storing", "fout", "bug", "crash", "foutmelding"],
        ["outage", "error", "bug", "crash", "broken"],
    ),
    (
        "Delivery",
        "Levering",
        ["levering", "bezorging", "geleverd", "levertijd", "pakket"],
        ["delivery", "shipping", "delivered", "package", "arrived"],
    ),
]


def seed(apps, schema_editor):
    Theme = apps.get_model("themes", "Theme")
    for name, name_nl, nl, en in STARTER:
        Theme.objects.get_or_create(
            name=name, defaults={"translations": {"nl": {"name": name_nl}}, "phrases": {"nl": nl, "en": en}}
        )


class Migration(migrations.Migration):
    dependencies = [("themes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
