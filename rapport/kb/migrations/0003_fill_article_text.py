from django.db import migrations

BATCH = 500


def fill(apps, schema_editor):
    from rapport.kb.markdown import markdown_text

    translation = apps.get_model("kb", "ArticleTranslation")
    last = 0
    while True:
        rows = list(translation.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        for row in rows:
            row.text = markdown_text(row.body)
        translation.objects.bulk_update(rows, ["text"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("kb", "0002_article_text")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
