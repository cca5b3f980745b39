from django.db import migrations


def create(apps, schema_editor):
    from rapport.search.backends import create_index

    create_index("conversations", schema_editor.connection)


def drop(apps, schema_editor):
    from rapport.search.backends import drop_index

    drop_index("conversations", schema_editor.connection)


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunPython(create, drop)]
