from django.db import migrations

TOUCHPOINTS = ["Sales", "Onboarding", "Support", "Billing", "Renewal"]


def seed(apps, schema_editor):
    Touchpoint = apps.get_model("surveys", "Touchpoint")
    for order, name in enumerate(TOUCHPOINTS):
        Touchpoint.objects.get_or_create(slug=name.lower(), defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
