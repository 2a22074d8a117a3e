"""The escalation rule every category falls back to until a city sets its own (in the admin):
an overdue problem goes to the level above after 10 working days, which gets 15 to solve it."""

from django.db import migrations
from django.utils import timezone


def add_default_rule(apps, schema_editor):
    rule = apps.get_model("dispatch", "EscalationRule").objects.create(category="", after_days=10, deadline_days=15)
    apps.get_model("dispatch", "HistoricalEscalationRule").objects.create(
        id=rule.pk, category="", after_days=10, deadline_days=15, active=True, history_date=timezone.now(),
        history_type="+", history_source="system", history_detail="migration dispatch 0002")


def remove_default_rule(apps, schema_editor):
    apps.get_model("dispatch", "EscalationRule").objects.filter(category="").delete()


class Migration(migrations.Migration):

    dependencies = [("dispatch", "0001_initial")]

    operations = [migrations.RunPython(add_default_rule, remove_default_rule)]
