"""Propose an account for each company the contacts name, for an admin to confirm (#24). Nothing
is merged here: look-alike names are only listed beside each other (surveys.account_proposals)."""

from collections import Counter

from django.db import migrations

from surveys.account_proposals import group_companies, look_alikes  # pure functions: models are not touched


def propose(apps, schema_editor):
    Contact = apps.get_model("surveys", "Contact")
    AccountProposal = apps.get_model("surveys", "AccountProposal")
    counts = Counter(
        Contact.objects.filter(account__isnull=True, erased_at__isnull=True)
        .exclude(company="")
        .values_list("company", flat=True)
        .iterator()
    )
    made = AccountProposal.objects.bulk_create(
        [
            AccountProposal(name=g["name"][:200], companies=g["companies"], contact_count=g["contact_count"])
            for g in group_companies(dict(counts))
        ]
    )
    for index, pairs in look_alikes([p.name for p in made]).items():
        made[index].similar = [{"id": made[j].pk, "name": made[j].name, "score": score} for j, score in pairs]
        made[index].save(update_fields=["similar"])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0011_accounts")]

    operations = [migrations.RunPython(propose, migrations.RunPython.noop)]
