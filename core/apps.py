from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Kringloop core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        import core.lookups  # noqa: F401  (registers field__any)
        from core import privacy
        from core.i18n import on_login

        user_logged_in.connect(on_login, dispatch_uid="kringloop-remember-language")
        privacy.register_core_part()
