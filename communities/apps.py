from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "communities"

    def ready(self) -> None:
        # Registers the OpenAPI description of token authentication with
        # drf-spectacular even before DRF first loads its authentication classes.
        # The account's language and time zone go into the session at log-in
        # (config/locale.py), so that no request has to read them again.
        from django.contrib.auth.signals import user_logged_in

        from communities import authentication  # noqa: F401
        from config.locale import remember_preferences_on_login

        user_logged_in.connect(remember_preferences_on_login, dispatch_uid="account-preferences")
