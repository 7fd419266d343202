from django.db import migrations, models


def forget_invitation_rollup(apps, schema_editor):
    """The new columns are empty on the existing rows: drop them and let the next refresh count
    everything again (readers count live until then)."""
    apps.get_model("scoring", "DailyInvitations").objects.all().delete()
    apps.get_model("scoring", "RollupState").objects.update(built_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0006_rollup_refresh_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailyinvitations", name="invited", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="dailyinvitations", name="bounced", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="dailyinvitations", name="commented", field=models.PositiveIntegerField(default=0)
        ),
        migrations.RunPython(forget_invitation_rollup, migrations.RunPython.noop),
    ]
