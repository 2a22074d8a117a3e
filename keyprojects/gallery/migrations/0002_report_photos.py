"""The photos filed with reports before the gallery (reporting.ReportPhoto) become files of
their projects and reports; reporting's next migration then drops the old table."""

from django.db import migrations


def move(apps, schema_editor):
    ReportPhoto = apps.get_model("reporting", "ReportPhoto")
    ProjectFile = apps.get_model("gallery", "ProjectFile")
    for photo in ReportPhoto.objects.select_related("report").order_by("pk").iterator():
        name = photo.image.name or ""
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        # (checked by their first bytes when they were uploaded, as JPG or PNG)
        content = "png" if ext == "png" else "jpg"
        ProjectFile.objects.create(project_id=photo.report.project_id, report_id=photo.report_id, kind="photo",
                                   content=content, file=name, name=name.rsplit("/", 1)[-1][-200:] or "photo",
                                   caption=photo.caption)


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0001_initial"),
        ("reporting", "0003_history_indexes"),
    ]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
