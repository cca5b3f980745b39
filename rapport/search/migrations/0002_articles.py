from django.db import migrations


def create(apps, schema_editor):
    from rapport.search.backends import create_index

    create_index("articles", schema_editor.connection)


def drop(apps, schema_editor):
    from rapport.search.backends import drop_index

    drop_index("articles", schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
