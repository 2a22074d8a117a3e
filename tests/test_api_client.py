"""A client generated from the live ``/api/schema/`` with openapi-python-client (a dev
dependency), driven against a live server as an integrator would: list with filters, create,
change, submit with a stale version (the 409 read from the typed error), return, resubmit,
approve, indicators. The generator runs offline, its formatting hooks off."""

import importlib
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from conftest import Cast
from django.contrib.auth import get_user_model
from django.utils import timezone

from keyprojects.accounts import services as account_services
from keyprojects.reporting.models import ProgressReport

GENERATOR = shutil.which("openapi-python-client") or shutil.which(
    "openapi-python-client", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(GENERATOR is None, reason="openapi-python-client is not installed (pip install -e .[dev])")


def generate(schema_url: str, where: Path, name: str, key: str) -> Path:
    schema = where / "schema.json"
    answer = requests.get(schema_url, params={"format": "json"}, headers={"Authorization": f"Token {key}"}, timeout=30)
    assert answer.status_code == 200, answer.text  # (the schema is behind login)
    schema.write_bytes(answer.content)
    config = where / "config.yaml"
    config.write_text("post_hooks: []\n")  # no ruff/black: nothing to fetch, nothing to format
    assert GENERATOR is not None
    done = subprocess.run([GENERATOR, "generate", "--path", str(schema), "--output-path", str(where / name),
                           "--meta", "none", "--config", str(config), "--fail-on-warning"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return where


@pytest.fixture
def generated(live_server, committed_db, tmp_path):
    name = f"kp_client_{tmp_path.name.replace('-', '_')}"  # a module name of its own per run
    reader = get_user_model().objects.create_superuser("schema_reader", password=None)
    key = account_services.create_token(reader, reader, "schema")[1]
    sys.path.insert(0, str(generate(f"{live_server.url}/api/schema/", tmp_path, name, key)))
    try:
        yield lambda module: importlib.import_module(f"{name}.{module}")  # a module of the generated package
    finally:
        sys.path.remove(str(tmp_path))


def test_a_generated_client_lists_writes_and_reviews(live_server, generated):
    cast = Cast()
    module = generated
    client_module, models = module("client"), module("models")

    def as_user(user):
        _, key = account_services.create_token(user, user, "生成的客户端")
        return client_module.AuthenticatedClient(base_url=live_server.url, token=key, prefix="Token",
                                                 raise_on_unexpected_status=True)

    admin, clerk = as_user(cast.admin), as_user(cast.lianshan_clerk)

    # list with filters: typed totals, amounts with four places, ordering repeated
    order = [models.ProjectsListOItem("-total_investment"), models.ProjectsListOItem("name")]
    listed = module("api.projects.projects_list").sync(client=admin, year=2022, o=order)
    assert [row.name for row in listed.results] == [cast.p_suizhong.name, cast.p_lianshan.name]
    assert listed.totals.total_investment == "132000.0000" and listed.totals.count == 2
    mine = module("api.projects.projects_list").sync(client=clerk, year=2022, stage=models.ProjectsListStage(cast.p_lianshan.stage))
    assert [row.name for row in mine.results] == [cast.p_lianshan.name]

    # create and change a project (JSON bodies; the PATCH's version required)
    created = module("api.projects.projects_create").sync(client=clerk, body=models.ProjectInputRequest(
        name="连山区智慧物流园项目", region=cast.lianshan.pk, total_investment="18000.5",
        project_type=models.ProjectTypeEnum("industry"), investment_nature=models.InvestmentNatureEnum("enterprise"),
        level=models.ProjectLevelEnum("city"), stage=models.StageEnum("preparation")))
    assert created.total_investment == "18000.5000" and created.version == 1
    patch = module("api.projects.projects_partial_update")
    changed = patch.sync(client=clerk, id=created.id,
                         body=models.PatchedProjectInputRequest(version=1, address="连山区钢屯镇"))
    assert changed.address == "连山区钢屯镇" and changed.version == 2
    same = patch.sync(client=clerk, id=created.id, body=models.PatchedProjectInputRequest(version=2, address="连山区钢屯镇"))
    assert same.version == 2  # nothing changed: the version stays

    # a period, a report drafted, submitted with a stale version (409, typed), then right
    today = timezone.localdate()
    period = module("api.periods.periods_create").sync(client=admin, body=models.PeriodInputRequest(
        year=2022, month=5, opens_on=today - timedelta(days=2), closes_on=today + timedelta(days=3)))
    draft = module("api.reports.reports_create").sync(client=clerk, body=models.ReportInputRequest(
        project=cast.p_lianshan.pk, period=period.id, completed_month="1000", completed_ytd="1000",
        completed_since_start="1000", started=True, started_on=date(2022, 4, 10), progress="主体结构施工"))
    assert draft.status == models.StatusEnum.DRAFT and draft.completed_ytd == "1000.0000"
    assert isinstance(draft.period, int) and isinstance(draft.project, int)
    submit = module("api.reports.reports_submit_create")
    stale = submit.sync_detailed(client=clerk, id=draft.id, body=models.VersionRequest(version=draft.version + 5))
    assert stale.status_code == 409 and isinstance(stale.parsed, models.Conflict)
    assert stale.parsed.current_version == draft.version
    submitted = submit.sync(client=clerk, id=draft.id, body=models.VersionRequest(version=stale.parsed.current_version))
    assert submitted.status == models.StatusEnum.SUBMITTED

    # returned (a stale version refused there too), fixed, resubmitted, approved
    send_back = module("api.reports.reports_return_create")
    refused = send_back.sync_detailed(client=admin, id=draft.id, body=models.ReturnInputRequest(
        version=draft.version, return_reason="开复工日期与照片不符"))
    assert refused.status_code == 409 and refused.parsed.current_version == submitted.version
    returned = send_back.sync(client=admin, id=draft.id, body=models.ReturnInputRequest(
        version=submitted.version, return_reason="开复工日期与照片不符"))
    assert returned.status == models.StatusEnum.RETURNED
    fixed = module("api.reports.reports_partial_update").sync(client=clerk, id=draft.id, body=models.PatchedReportInputRequest(
        version=returned.version, started_on=date(2022, 4, 12)))
    twice = submit.sync_detailed(client=clerk, id=draft.id, body=models.VersionRequest(version=fixed.version))
    assert twice.status_code == 200
    again = submit.sync_detailed(client=clerk, id=draft.id, body=models.VersionRequest(version=twice.parsed.version))
    assert again.status_code == 400 and isinstance(again.parsed, models.Error)
    assert again.parsed.message.endswith("月报已报送，不能重复报送")
    approve = module("api.reports.reports_approve_create")
    assert approve.sync_detailed(client=admin, id=draft.id, body=models.VersionRequest(
        version=fixed.version)).status_code == 409
    approved = approve.sync(client=admin, id=draft.id, body=models.VersionRequest(version=twice.parsed.version))
    assert approved.status == models.StatusEnum.APPROVED
    assert ProgressReport.objects.get(pk=draft.id).history.first().history_source == "api"

    # the indicators, typed: counts integers, amounts and rates decimal strings, the date a date
    found = module("api.indicators.indicators_retrieve").sync(client=admin, year=2022, as_of=date(2022, 6, 5))
    assert found.year == 2022 and found.as_of == date(2022, 6, 5) and found.region_code == cast.city.code
    assert found.plan.count == 2 and found.plan.total_investment == "132000.0000"
    assert found.started_or_resumed.count == 1  # (started on 12 April, as the approved report says)
    assert found.completed_investment == "0.0000"  # a report counts from its approval: today, after the date
    assert found.rates.start_or_resume_rate == "50.0"
    assert [row.label for row in found.breakdowns.region] == ["连山区", "绥中县"]
