"""Texts stored before line endings were normalised on save (the census
stored CRLF from browsers' textareas): rewrite them with LF, so that the
review's diff no longer shows a text as changed when only its line endings
differ. Only rows that hold a CR are written."""

import re

from django.db import migrations, models

LINE_ENDINGS = re.compile(r"\r\n?")

MODELS = (
    ("initiatives", "Initiative"),
    ("initiatives", "Participation"),
    ("initiatives", "Place"),
    ("impact", "Product"),
    ("impact", "Impact"),
    ("stakeholders", "Partnership"),
)


def normalise(apps, schema_editor):
    for app_label, model_name in MODELS:
        for model in (apps.get_model(app_label, model_name), apps.get_model(app_label, f"Historical{model_name}")):
            names = [
                f.attname
                for f in model._meta.concrete_fields
                if isinstance(f, (models.CharField, models.TextField)) and not f.choices
            ]
            carrying_cr = models.Q()
            for name in names:
                carrying_cr |= models.Q(**{f"{name}__contains": "\r"})
            for row in model._base_manager.filter(carrying_cr).only("pk", *names).iterator(chunk_size=500):
                changed = []
                for name in names:
                    value = getattr(row, name)
                    if isinstance(value, str) and "\r" in value:
                        setattr(row, name, LINE_ENDINGS.sub("\n", value))
                        changed.append(name)
                # update_fields: no auto_now date moves, and no history row is written.
                row.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0013_initiative_merges"),
        ("impact", "0010_import_job_confirmation_choices"),
        ("stakeholders", "0003_organisation_keys_and_funding_calls"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
