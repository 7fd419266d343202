from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self):
        from anymail.signals import tracking

        from surveys import consistency, privacy
        from surveys.tracking import on_tracking

        tracking.connect(on_tracking, dispatch_uid="surveys.tracking")
        privacy.register()
        privacy.register_retention()
        consistency.register_checks()  # manage.py check_data
