from django.db import migrations, models


def forget_rollups(apps, schema_editor):
    """The rollups are derived data: empty them and let the next read count everything again."""
    for name in ("DailyScore", "DailySegmentScore", "DailyDriverAnswer", "DailyInvitations", "LatestScore"):
        apps.get_model("scoring", name).objects.all().delete()
    apps.get_model("scoring", "RollupState").objects.update(built_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0003_rollups_segments_drivers_invitations_latest"),
    ]

    operations = [
        migrations.RunPython(forget_rollups, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="dailydriveranswer", name="dailydriver_day_question"),
        migrations.RemoveIndex(model_name="dailyinvitations", name="dailyinvitations_day"),
        migrations.AddField(model_name="dailydriveranswer", name="segment_key",
                            field=models.CharField(default="", max_length=80)),
        migrations.AddField(model_name="dailydriveranswer", name="segment_value",
                            field=models.CharField(max_length=200, null=True)),
        migrations.AddField(model_name="dailyinvitations", name="segment_key",
                            field=models.CharField(default="", max_length=80)),
        migrations.AddField(model_name="dailyinvitations", name="segment_value",
                            field=models.CharField(max_length=200, null=True)),
        migrations.AddField(model_name="latestscore", name="campaign_id",
                            field=models.BigIntegerField(default=0), preserve_default=False),
        migrations.AddField(model_name="latestscore", name="touchpoint_id", field=models.BigIntegerField(null=True)),
        migrations.AddField(model_name="latestscore", name="team_id", field=models.BigIntegerField(null=True)),
        migrations.AddField(model_name="latestscore", name="channel",
                            field=models.CharField(default="", max_length=10), preserve_default=False),
        migrations.AddField(model_name="latestscore", name="language",
                            field=models.CharField(default="", max_length=8), preserve_default=False),
        migrations.AddField(model_name="latestscore", name="attributes", field=models.JSONField(default=dict)),
        migrations.AddIndex(model_name="dailydriveranswer",
                            index=models.Index(fields=["segment_key", "day"], name="dailydriver_segment_day")),
        migrations.AddIndex(model_name="dailyinvitations",
                            index=models.Index(fields=["segment_key", "day"], name="dailyinvitations_segment_day")),
    ]
