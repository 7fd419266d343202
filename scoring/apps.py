from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"

    def ready(self):
        from core import health
        from scoring import freshness

        health.register_freshness("rollups", freshness.health)  # /healthz shows how far behind they are
