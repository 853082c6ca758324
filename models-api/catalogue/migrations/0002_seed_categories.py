"""The fixed category set. Slugs are part of the public contract: never rename one."""

from django.db import migrations

CATEGORIES = [
    ("electronics", "Electronics"),
    ("computers", "Computers & Tablets"),
    ("phones", "Phones & Accessories"),
    ("furniture", "Furniture"),
    ("home-garden", "Home & Garden"),
    ("clothing", "Clothing & Shoes"),
    ("books", "Books"),
    ("music", "Music & Instruments"),
    ("sports", "Sports & Outdoors"),
    ("toys", "Toys & Games"),
    ("bikes", "Bikes"),
    ("collectibles", "Collectibles & Art"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("catalogue", "Category")
    for position, (slug, name) in enumerate(CATEGORIES):
        Category.objects.update_or_create(slug=slug, defaults={"name": name, "position": position})


def unseed(apps, schema_editor):
    Category = apps.get_model("catalogue", "Category")
    Category.objects.filter(slug__in=[slug for slug, _ in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
