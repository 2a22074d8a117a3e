"""The demo's open data: the figures in its OC4IDS package are the figure door's, and the package
passes the standard's own validator (libcoveoc4ids)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from keyprojects.core.permissions import SYSTEM
from keyprojects.indicators import figures
from keyprojects.opendata import oc4ids
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region

pytestmark = pytest.mark.django_db
URI = "https://xm.example.gov.cn/opendata/oc4ids/211400.json"


def test_the_metrics_are_the_figure_doors_completion_of_the_year(demo):
    city = Region.objects.find("葫芦岛市")
    as_of = date(2022, 6, 5)
    package = oc4ids.package(city, 2022, URI, as_of)
    assert package is not None and len(package["projects"]) == 20
    published = Project.objects.filter(publication__isnull=False, region__path__startswith=city.path)
    lines = {line["project_id"]: line for line in figures.project_standings(SYSTEM, 2022, as_of, city, published)}
    checked = 0
    for record in package["projects"]:
        line = lines[int(record["id"].rsplit("-", 1)[1])]
        money = {m["id"]: m for m in record["metrics"]}
        observations = {o["id"]: o for o in money["financialProgress"]["observations"]}
        assert observations["2022-completed"]["value"]["amount"] == oc4ids.yuan(line["completed"])
        assert observations["2022-annual-plan"]["value"]["amount"] == oc4ids.yuan(line["annual_plan"])
        if line["completion_rate"] is not None:
            assert money["completion"]["observations"][0]["measure"] == str(line["completion_rate"])
            checked += 1
    assert checked > 0


# --- the standard's validator --------------------------------------------------------------------

def _validator() -> Any:
    """libcoveoc4ids' schema: a local copy of the OC4IDS schema when KEYPROJECTS_OC4IDS_SCHEMA_DIR
    names one (project-package-schema.json, project-schema.json, codelists/*.csv), else the
    standard's site (the validator's default, 0.9.5); skipped when neither can be read."""
    from libcoveoc4ids.config import LibCoveOC4IDSConfig
    from libcoveoc4ids.schema import SchemaOC4IDS

    folder = os.environ.get("KEYPROJECTS_OC4IDS_SCHEMA_DIR")
    if not folder:
        import requests

        config = LibCoveOC4IDSConfig()
        try:
            requests.head(config.config["schema_host"] + "project-schema.json", timeout=5).raise_for_status()
        except requests.RequestException as exc:
            pytest.skip(f"libcoveoc4ids needs the OC4IDS schema: offline here ({type(exc).__name__}); "
                        "set KEYPROJECTS_OC4IDS_SCHEMA_DIR to a copy of it")
        return SchemaOC4IDS(config)
    base = str(Path(folder).resolve()) + "/"

    class LocalSchema(SchemaOC4IDS):
        @cached_property
        def schema_str(self) -> str:
            return Path(self.schema_url).read_text(encoding="utf-8")

        def process_codelists(self) -> None:
            from libcove.lib.common import get_schema_codelist_paths

            self.core_codelist_schema_paths = get_schema_codelist_paths(self, use_extensions=False)
            self.extended_codelist_schema_paths = get_schema_codelist_paths(self, use_extensions=True)
            self.core_codelists = {}
            for path in Path(base, "codelists").glob("*.csv"):
                with path.open(encoding="utf-8") as f:
                    self.core_codelists[path.name] = {row["Code"]: row.get("Title") for row in csv.DictReader(f)}
            self.extended_codelists = dict(self.core_codelists)

    return LocalSchema(LibCoveOC4IDSConfig({"schema_host": base}))


def test_the_demo_package_passes_libcoveoc4ids_without_a_schema_error(demo, tmp_path):
    from libcoveoc4ids.common_checks import common_checks_oc4ids

    schema = _validator()
    out = tmp_path / "hld.json"
    call_command("export_oc4ids", region="葫芦岛市", year=2022, as_of="2022-06-05", output=str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        result = common_checks_oc4ids({"file_type": "json"}, folder, data, schema, cache=False)
    errors = json.loads(result["validation_errors"]) if isinstance(result["validation_errors"], str) \
        else result["validation_errors"]
    assert errors == [], f"schema errors: {errors}"
    assert result["conformance_checks"] == [], result["conformance_checks"]  # the id prefix's form
    assert result["additional_checks"] == [], result["additional_checks"]  # empty values, org references
    assert result["additional_closed_codelist_values"] == {}
    assert len(data["projects"]) == 20
