from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and the one-command demo (`make demo`): the top layer, for development only.

    It may import every app; no app may import it (pyproject.toml, [tool.importlinter])."""

    name = "demo"
    verbose_name = "Kringloop demo"
