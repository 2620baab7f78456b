from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "communities"

    def ready(self) -> None:
        # Registers the OpenAPI description of token authentication with
        # drf-spectacular even before DRF first loads its authentication classes.
        from communities import authentication  # noqa: F401
