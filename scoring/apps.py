from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"

    def ready(self):
        from core import health
        from scoring import consistency, freshness

        health.register_freshness("rollups", freshness.health)  # /healthz shows how far behind they are
        consistency.register_checks()  # manage.py check_data: the dashboard's figures against the answers
