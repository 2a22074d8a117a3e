"""The profiles that ship with the product (Liaoning's, Gansu's), loaded from their files; a file
changed later is loaded again with ``keyprojects exchange load``."""

import json
from pathlib import Path

from django.db import migrations

PROFILES = Path(__file__).resolve().parent.parent / "profiles"


def load(apps, schema_editor):
    Profile = apps.get_model("exchange", "Profile")
    for path in sorted(PROFILES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        Profile.objects.update_or_create(province_code=data["province"], version=data["version"],
                                         defaults={"name": data["name"], "data": data})


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
