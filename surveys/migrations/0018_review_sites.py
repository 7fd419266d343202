"""Review sites (#30.9): a campaign's one promoter link (promoter_link, its label and the label's
translations) becomes its first review site, named after the site it is on; then the campaign's
fields go. Backwards, a campaign's first review site becomes its promoter link again."""

import django.db.models.deletion
from django.db import migrations, models


KNOWN_HOSTS = {  # frozen copy of surveys.review_sites.KNOWN_HOSTS
    "google.": "Google",
    "g.page": "Google",
    "trustpilot.": "Trustpilot",
    "apps.apple.com": "App Store",
    "play.google.com": "Google Play",
    "facebook.com": "Facebook",
    "tripadvisor.": "Tripadvisor",
    "kiyoh.": "Kiyoh",
    "feedbackcompany.": "The Feedback Company",
}


def site_name_for(url):
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower()
    for part, name in sorted(KNOWN_HOSTS.items(), key=lambda item: -len(item[0])):
        if part in host:
            return name
    return (host.removeprefix("www.") or "Review")[:60]


def move_promoter_links(apps, schema_editor):
    Campaign = apps.get_model("surveys", "Campaign")
    ReviewSite = apps.get_model("surveys", "ReviewSite")
    for campaign in Campaign.objects.all().iterator():
        translations, labels, changed = {}, {}, False
        for language, texts in (campaign.translations or {}).items():
            if isinstance(texts, dict) and "promoter_link_label" in texts:
                texts = dict(texts)
                label = texts.pop("promoter_link_label")
                changed = True
                if label:
                    labels[language] = {"label": label}
            if texts:
                translations[language] = texts
        if campaign.promoter_link:
            ReviewSite.objects.create(
                campaign=campaign,
                order=1,
                name=site_name_for(campaign.promoter_link),
                url=campaign.promoter_link,
                label=campaign.promoter_link_label,
                translations=labels,
            )
        if changed:
            campaign.translations = translations
            campaign.save(update_fields=["translations"])


def move_back(apps, schema_editor):
    Campaign = apps.get_model("surveys", "Campaign")
    ReviewSite = apps.get_model("surveys", "ReviewSite")
    done = set()
    for site in ReviewSite.objects.order_by("campaign_id", "order", "id"):
        if site.campaign_id in done:
            continue
        done.add(site.campaign_id)
        campaign = Campaign.objects.get(pk=site.campaign_id)
        translations = campaign.translations or {}
        for language, texts in (site.translations or {}).items():
            if texts.get("label"):
                translations.setdefault(language, {})["promoter_link_label"] = texts["label"]
        campaign.promoter_link = site.url[:200]
        campaign.promoter_link_label = site.label
        campaign.translations = translations
        campaign.save(update_fields=["promoter_link", "promoter_link_label", "translations"])


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0017_employee_nps'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReviewSite',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('name', models.CharField(help_text='E.g. Google, Trustpilot, App Store.', max_length=60, verbose_name='site')),
                ('url', models.URLField(help_text='The page where customers write the review.', max_length=500, verbose_name='review link')),
                ('label', models.CharField(blank=True, help_text="Empty for “Review us on …” in the reader's language.", max_length=100, verbose_name='button text')),
                ('language', models.CharField(blank=True, choices=[('en', 'English'), ('nl', 'Nederlands')], max_length=8, verbose_name='language')),
                ('segment', models.JSONField(blank=True, default=dict, verbose_name='segment')),
                ('translations', models.JSONField(blank=True, default=dict, verbose_name='translations')),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='review_sites', to='surveys.campaign', verbose_name='campaign')),
            ],
            options={
                'verbose_name': 'review site',
                'verbose_name_plural': 'review sites',
                'ordering': ['order', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ReviewClick',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('clicked_at', models.DateTimeField(auto_now_add=True)),
                ('response', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='review_clicks', to='surveys.response')),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='clicks', to='surveys.reviewsite')),
            ],
            options={
                'verbose_name': 'review click',
                'verbose_name_plural': 'review clicks',
                'constraints': [models.UniqueConstraint(fields=('site', 'response'), name='review_click_once')],
            },
        ),
        migrations.RunPython(move_promoter_links, move_back, elidable=False),
        migrations.RemoveField(
            model_name='campaign',
            name='promoter_link',
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='promoter_link_label',
        ),
    ]
