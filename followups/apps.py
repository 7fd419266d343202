from django.apps import AppConfig
from django.core import checks


class FollowupsConfig(AppConfig):
    name = "followups"

    def ready(self):
        checks.register(check_business_calendar)


def check_business_calendar(app_configs=None, **kwargs):
    """A calendar without open hours would stop every business-hours deadline: say so at start-up."""
    from followups.sla import business_calendar

    try:
        business_calendar()
    except ValueError as error:
        return [checks.Error(str(error), id="followups.E001")]
    return []
