from django.apps import AppConfig
from django.core import checks


class FollowupsConfig(AppConfig):
    name = "followups"

    def ready(self):
        from anymail.signals import inbound
        from django.db.backends.signals import connection_created

        from core import handoff
        from followups import consistency, privacy
        from followups.inbound import on_inbound
        from followups.queries import contact_cases_timeline
        from surveys.queries import add_timeline_source

        # New answers handed off by the web (core/handoff.py) are processed by these tasks.
        handoff.set_consumer(one="followups.tasks.process_response", batch="followups.tasks.process_responses")

        # Customers' e-mails from the ESP's inbound webhook join their case (followups.inbound).
        inbound.connect(on_inbound, dispatch_uid="followups.inbound")
        privacy.register()
        consistency.register_checks()  # manage.py check_data
        add_timeline_source(contact_cases_timeline)
        checks.register(check_business_calendar)
        connection_created.connect(register_sqlite_functions)


def register_sqlite_functions(sender, connection, **kwargs):
    """SQLite has no median: give it one, so followups.queries.Median works in the embedded demo."""
    if connection.vendor == "sqlite":
        from followups.queries import SQLiteMedian

        connection.connection.create_aggregate("KL_MEDIAN", 1, SQLiteMedian)


def check_business_calendar(app_configs=None, **kwargs):
    """A calendar without open hours would stop every business-hours deadline: say so at start-up."""
    from followups.sla import business_calendar

    try:
        business_calendar()
    except ValueError as error:
        return [checks.Error(str(error), id="followups.E001")]
    return []
