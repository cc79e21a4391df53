"""Merges that keep both records: `Initiative.merged_into` and `merged_at`
mark an initiative merged into another (hidden, its address redirecting),
`InitiativeMerge` records each merge so that it can be undone.

`Initiative.objects.public()` now also leaves out merged initiatives: the
covering index of 0006 is rebuilt with that condition (PostgreSQL only), or
PostgreSQL would have to visit the table for every public row.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


PUBLIC_INDEX = "initiative_public_covering"
PUBLIC_INDEX_SQL = (
    f"CREATE INDEX {PUBLIC_INDEX} ON initiatives_initiative (id)"
    " INCLUDE (scale, start_date, end_date, featured, published_at)"
    " WHERE state = 'published' AND revision_of_id IS NULL{merged}"
)


def rebuild_public_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PUBLIC_INDEX}")
        schema_editor.execute(PUBLIC_INDEX_SQL.format(merged=" AND merged_into_id IS NULL"))


def restore_public_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PUBLIC_INDEX}")
        schema_editor.execute(PUBLIC_INDEX_SQL.format(merged=""))


class Migration(migrations.Migration):
    dependencies = [
        ("actionplan", "0002_vocabulary_synonyms"),
        ("impact", "0010_import_job_confirmation_choices"),
        ("initiatives", "0012_cover_image_checked"),
        ("stakeholders", "0003_organisation_keys_and_funding_calls"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="InitiativeMerge",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="at")),
                ("description", models.TextField(verbose_name="description")),
                ("choices", models.JSONField(default=dict, verbose_name="choices")),
                ("survivor_before", models.JSONField(default=list, verbose_name="survivor before the merge")),
                ("survivor_after", models.JSONField(default=dict, verbose_name="survivor after the merge")),
                ("added_rows", models.JSONField(default=dict, verbose_name="rows added to the survivor")),
                ("removed_rows", models.JSONField(default=dict, verbose_name="rows removed from the survivor")),
                ("undone_at", models.DateTimeField(blank=True, null=True, verbose_name="undone at")),
            ],
            options={
                "verbose_name": "merge of initiatives",
                "verbose_name_plural": "merges of initiatives",
                "ordering": ["-at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="historicalinitiative",
            name="merged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="merged"),
        ),
        migrations.AddField(
            model_name="historicalinitiative",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="initiatives.initiative",
                verbose_name="merged into",
            ),
        ),
        migrations.AddField(
            model_name="initiative",
            name="merged_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="merged"),
        ),
        migrations.AddField(
            model_name="initiative",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_away",
                to="initiatives.initiative",
                verbose_name="merged into",
            ),
        ),
        migrations.AddConstraint(
            model_name="initiative",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("merged_at__isnull", True), ("merged_into__isnull", True)),
                    models.Q(
                        ("merged_at__isnull", False),
                        ("merged_into__isnull", False),
                        models.Q(("merged_into", models.F("id")), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="initiative_merged_into_another_with_its_date",
            ),
        ),
        migrations.AddField(
            model_name="initiativemerge",
            name="by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="by",
            ),
        ),
        migrations.AddField(
            model_name="initiativemerge",
            name="merged",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="merges_away",
                to="initiatives.initiative",
                verbose_name="initiative merged into it",
            ),
        ),
        migrations.AddField(
            model_name="initiativemerge",
            name="survivor",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="merges_kept",
                to="initiatives.initiative",
                verbose_name="initiative kept",
            ),
        ),
        migrations.AddField(
            model_name="initiativemerge",
            name="undone_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="undone by",
            ),
        ),
        migrations.AddConstraint(
            model_name="initiativemerge",
            constraint=models.CheckConstraint(
                condition=models.Q(("survivor", models.F("merged")), _negated=True), name="initiative_merge_of_two"
            ),
        ),
        migrations.RunPython(rebuild_public_index, restore_public_index),
    ]
