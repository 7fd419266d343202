from django.db import migrations
from django.db.models import F


def bump(apps, schema_editor):
    """Matching learned Dutch verb forms ("crasht", "gecrasht"): the nightly pass matches every
    comment again, as after a change to a theme."""
    apps.get_model("themes", "ThemeRules").objects.filter(pk=1).update(version=F("version") + 1)


class Migration(migrations.Migration):
    dependencies = [("themes", "0005_drop_commenttheme_day_index")]

    operations = [migrations.RunPython(bump, migrations.RunPython.noop)]
