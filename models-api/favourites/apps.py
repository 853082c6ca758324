from django.apps import AppConfig


class FavouritesConfig(AppConfig):
    name = "favourites"
    default_auto_field = "django.db.models.BigAutoField"
