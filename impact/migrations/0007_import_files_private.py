import pops.storage
from django.core.files.storage import default_storage
from django.db import migrations, models


def move_import_files_to_private_storage(apps, schema_editor):
    """Files of earlier import jobs lay under MEDIA_ROOT/imports/, which is
    served publicly: move each one into the private storage (same name)."""
    ImportJob = apps.get_model("impact", "ImportJob")
    private = pops.storage.private_storage()
    for job in ImportJob.objects.exclude(file=""):
        name = job.file.name
        if not default_storage.exists(name):
            continue
        if not private.exists(name):
            with default_storage.open(name, "rb") as stored:
                saved = private.save(name, stored)
            if saved != name:
                ImportJob.objects.filter(pk=job.pk).update(file=saved)
        default_storage.delete(name)


class Migration(migrations.Migration):
    dependencies = [
        ("impact", "0006_import_job_dry_run"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="file",
            field=models.FileField(
                blank=True,
                help_text="Deleted when the import succeeds, and some days after it fails.",
                storage=pops.storage.private_storage,
                upload_to="imports/",
                verbose_name="file",
            ),
        ),
        migrations.RunPython(move_import_files_to_private_storage, migrations.RunPython.noop, elidable=True),
    ]
