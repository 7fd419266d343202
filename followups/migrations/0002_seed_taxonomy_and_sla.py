from django.db import migrations

TAGS = [("Process", "process"), ("Product", "product"), ("Price", "price"), ("Reputation", "reputation"),
        ("Emotional engagement", "emotional")]
SLA = [("detractor", 48), ("passive", 168), ("promoter", 168)]


def seed(apps, schema_editor):
    RootCauseTag = apps.get_model("followups", "RootCauseTag")
    SLAPolicy = apps.get_model("followups", "SLAPolicy")
    for name, slug in TAGS:
        RootCauseTag.objects.get_or_create(slug=slug, defaults={"name": name})
    for category, hours in SLA:
        SLAPolicy.objects.get_or_create(category=category, defaults={"hours": hours})


class Migration(migrations.Migration):
    dependencies = [("followups", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
