"""Audit of everything and tamper evidence (issue 23, findings 4 and 5): every model a user can
change keeps history, a deleted list's memberships included; sign-ins are recorded with the
client's address; the city admin's audit page and its export; a deleted project's history;
history rows sealed into one hash chain that ``verify_audit`` checks."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from conftest import PASSWORD
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from keyprojects.accounts.models import ApiToken, User
from keyprojects.core.audit import Source, audit_context
from keyprojects.core.bulk import save_in_bulk
from keyprojects.core.chain import seal_unsealed, verify
from keyprojects.core.models import AuditEntry, ChainHead, SignIn
from keyprojects.projects.models import Project, ProjectList, Sector

pytestmark = pytest.mark.django_db

# Models a user may not change, or whose rows are not a change anyone made: each says why.
NOT_HISTORY = {
    "admin.LogEntry": "the admin's own log of its actions; its changes are in the objects' history",
    "auth.Permission": "made by migrations, not editable",
    "contenttypes.ContentType": "made by migrations, not editable",
    "sessions.Session": "a login's state; the login itself is a SignIn",
    "axes.AccessAttempt": "throttling counters (the attempts are SignIn rows)",
    "axes.AccessFailureLog": "throttling log (the attempts are SignIn rows)",
    "axes.AccessAttemptExpiration": "throttling counters",
    "axes.AccessLog": "throttling log (the logins are SignIn rows)",
    "django_tasks_database.DBTaskResult": "job rows: their writes carry the job's audit context",
    "core.DataVersion": "counters of writes, not data",
    "core.ScheduledRun": "the scheduler's once-only marks",
    "core.AuditEntry": "the audit chain itself",
    "core.ChainHead": "the audit chain itself",
    "core.SignIn": "the sign-in record itself, sealed into the chain",
    "reporting.PlanProgress": "a roll-up rebuilt from approved reports, which keep history",
    "notices.Message": "written by notify(); a message's one user change is being read",
    "notices.Delivery": "a channel's send attempts, written by jobs",
}


def test_every_model_a_user_can_change_keeps_history():
    missing, stale = [], set(NOT_HISTORY)
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if hasattr(model, "instance_type") or label.startswith("simple_history."):
            continue  # a history table
        stale.discard(label)
        if model._meta.auto_created:  # a many-to-many table: recorded with the model that owns it
            owner, field = next((m, f) for m in apps.get_models() for f in m._meta.many_to_many
                                if f.remote_field.through is model)
            history = getattr(owner, "history", None)
            kept = {f.name for f in getattr(history.model, "_history_m2m_fields", [])} if history is not None else set()
            if field.name not in kept:
                missing.append(label)
        elif not getattr(model._meta, "simple_history_manager_attribute", None) and label not in NOT_HISTORY:
            missing.append(label)
    assert missing == [], f"models without history: {missing}"
    assert stale == set(), f"allow-listed models that no longer exist: {stale}"


def test_sectors_and_lists_keep_history(cast):
    with audit_context(Source.ADMIN, user=cast.superuser):
        sector = Sector.objects.create(name="装备制造")
        sector.name = "高端装备制造"
        sector.save()
        project_list = ProjectList.objects.create(name="省列重大项目", year=2022)
    assert [h.history_type for h in sector.history.order_by("history_date")] == ["+", "~"]
    assert project_list.history.get().history_source == Source.ADMIN


def test_deleting_a_list_records_every_projects_lost_membership(cast):
    project_list = ProjectList.objects.create(name="专项债券项目", year=2022)
    cast.p_lianshan.lists.add(project_list)
    cast.p_suizhong.lists.add(project_list)
    before = {p.pk: p.history.count() for p in (cast.p_lianshan, cast.p_suizhong, cast.p_jinzhou)}
    list_pk = project_list.pk
    with audit_context(Source.ADMIN, user=cast.superuser, ip="10.1.2.3"):
        project_list.delete()
    for project in (cast.p_lianshan, cast.p_suizhong):
        assert project.history.count() == before[project.pk] + 1
        last = project.history.order_by("-history_date", "-history_id").first()
        assert last.history_type == "~" and "专项债券项目" in last.history_change_reason
        assert last.history_user == cast.superuser and last.history_ip == "10.1.2.3"
        assert list(last.lists.all()) == []  # the snapshot after: the membership gone
        previous = project.history.filter(history_date__lt=last.history_date).order_by("-history_date").first()
        assert [m.projectlist_id for m in previous.lists.all()] == [list_pk]
    assert cast.p_jinzhou.history.count() == before[cast.p_jinzhou.pk]  # not a member: untouched
    assert ProjectList.history.filter(id=list_pk, history_type="-").exists()


# --- sign-ins and the client's address --------------------------------------------------------

def _login(client, username, password, address="10.0.0.1", **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def test_logins_logouts_and_failed_logins_are_recorded(cast, client):
    assert _login(client, "admin", "wrong-password-1").status_code == 200
    assert _login(client, "nobody", "wrong-password-1").status_code == 200
    assert _login(client, "admin", PASSWORD).status_code == 302
    client.post(reverse("logout"), REMOTE_ADDR="10.0.0.1")
    rows = list(SignIn.objects.order_by("pk").values_list("username", "user_id", "result", "ip", "source"))
    assert rows == [
        ("admin", cast.admin.pk, "failed", "10.0.0.1", "web"),
        ("nobody", None, "failed", "10.0.0.1", "web"),
        ("admin", cast.admin.pk, "login", "10.0.0.1", "web"),
        ("admin", cast.admin.pk, "logout", "10.0.0.1", "web"),
    ]


def test_a_locked_out_login_is_recorded_as_locked(cast, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _login(client, "admin", "wrong-password-1")
    assert SignIn.objects.filter(username="admin", result="locked").exists()


def test_sign_ins_and_history_take_the_clients_address_only_from_a_trusted_proxy(cast, client, settings):
    settings.KEYPROJECTS_TRUSTED_PROXIES = ["192.168.0.10"]
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 192.168.0.10"}
    _login(client, "admin", PASSWORD, address="192.168.0.10", **forwarded)
    client.post(reverse("tokens"), {"name": "省平台"}, REMOTE_ADDR="192.168.0.10", **forwarded)
    assert SignIn.objects.get(result="login").ip == "203.0.113.7"
    assert ApiToken.history.get(name="省平台").history_ip == "203.0.113.7"

    # the same header from an address nobody said to trust: a client naming any address it likes
    other = type(client)()
    _login(other, "viewer", PASSWORD, address="10.6.6.6", HTTP_X_FORWARDED_FOR="203.0.113.99")
    other.post(reverse("tokens"), {"name": "统计局"}, REMOTE_ADDR="10.6.6.6", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert SignIn.objects.get(username="viewer", result="login").ip == "10.6.6.6"
    assert ApiToken.history.get(name="统计局").history_ip == "10.6.6.6"


# --- the audit page ---------------------------------------------------------------------------

@pytest.fixture
def sealed(cast):
    """The cast's rows in the chain, and a few changes of the city's and of Jinzhou's."""
    with audit_context(Source.WEB, user=cast.lianshan_clerk, ip="10.0.0.5"):
        cast.p_lianshan.name = "连石化工年产5万吨苯二胺项目"
        cast.p_lianshan.save()
    with audit_context(Source.COMMAND, user=cast.outsider):
        cast.p_jinzhou.name = "锦州港扩建二期工程"
        cast.p_jinzhou.save()
    seal_unsealed()
    return cast


def _entries(response):
    return [row["entry"] for row in response.context["rows"]]


def test_the_city_admin_sees_every_change_of_the_city_and_none_of_another(sealed, client):
    client.force_login(sealed.admin)
    response = client.get(reverse("audit_log"))
    assert response.status_code == 200
    entries = _entries(response)
    assert entries and [e.seq for e in entries] == sorted((e.seq for e in entries), reverse=True)
    objects = {(e.model, e.object_id) for e in AuditEntry.objects.filter(pk__in=[e.pk for e in entries])}
    assert ("projects.Project", str(sealed.p_lianshan.pk)) in objects
    everything = {(e.model, e.object_id) for e in AuditEntry.objects.all()}
    assert ("projects.Project", str(sealed.p_jinzhou.pk)) in everything
    shown = client.get(reverse("audit_log"), {"model": "projects.Project"})
    assert {e.object_id for e in _entries(shown)} == {str(sealed.p_lianshan.pk), str(sealed.p_suizhong.pk)}
    assert "锦州港" not in shown.content.decode()


def test_a_county_clerk_may_not_open_the_audit_page(sealed, client):
    client.force_login(sealed.lianshan_clerk)
    for url in (reverse("audit_log"), reverse("audit_export"),
                reverse("audit_object", args=["projects.Project", sealed.p_lianshan.pk])):
        response = client.get(url)
        assert response.status_code == 403 and "只有市级管理员" in response.content.decode()


def test_the_audit_page_filters_by_user_source_object_and_date(sealed, client):
    client.force_login(sealed.admin)
    by_user = _entries(client.get(reverse("audit_log"), {"user": "lianshan"}))
    assert [(e.object_id, e.action, e.source, e.ip) for e in by_user] == [
        (str(sealed.p_lianshan.pk), "~", "web", "10.0.0.5")]
    assert _entries(client.get(reverse("audit_log"), {"source": "web"})) == by_user
    by_object = _entries(client.get(reverse("audit_log"), {"model": "projects.Project",
                                                          "object_id": sealed.p_lianshan.pk}))
    assert [e.action for e in by_object] == ["~", "~", "+"]  # renamed, its leader added, created
    today = timezone.localdate()
    assert _entries(client.get(reverse("audit_log"), {"end": str(today - timedelta(days=1))})) == []
    assert len(_entries(client.get(reverse("audit_log"), {"start": str(today)}))) > 2
    bad = client.get(reverse("audit_log"), {"start": "9999-12-31"})
    assert bad.status_code == 400 and "起始日期" in bad.content.decode()


def test_the_audit_page_pages_by_position_in_the_chain(sealed, client):
    client.force_login(sealed.admin)
    first = client.get(reverse("audit_log"))
    before = first.context["next_before"]
    seen = _entries(first)
    if before is None:
        assert len(seen) <= 50
        return
    second = _entries(client.get(reverse("audit_log"), {"before": before}))
    assert second and max(e.seq for e in second) < min(e.seq for e in seen)


def test_sign_ins_are_listed_for_the_city_admin(sealed, client):
    _login(client, "lianshan", "wrong-password-1", address="10.0.0.9")
    _login(client, "jinzhou", "wrong-password-1", address="10.0.0.9")
    seal_unsealed()
    client.force_login(sealed.admin)
    entries = _entries(client.get(reverse("audit_log"), {"kind": "signins"}))
    assert [(e.username, e.action, e.ip) for e in entries if e.action == "failed"] == [("lianshan", "failed", "10.0.0.9")]


def test_the_audit_log_exports_as_xlsx(sealed, client):
    client.force_login(sealed.admin)
    response = client.get(reverse("audit_export"), {"user": "lianshan"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "时间", "用户")
    assert [(r[2], r[3], r[4], r[6], r[8]) for r in rows[1:]] == [
        ("lianshan", "网页", "10.0.0.5", str(sealed.p_lianshan.pk), "修改")]


def test_a_deleted_projects_history_stays_visible_to_the_city_admin(sealed, client):
    project = sealed.p_suizhong
    pk = project.pk
    with audit_context(Source.WEB, user=sealed.admin):
        project.delete()
    seal_unsealed()
    client.force_login(sealed.admin)
    listed = _entries(client.get(reverse("audit_log"), {"model": "projects.Project", "object_id": pk}))
    assert [e.action for e in listed] == ["-", "+"]
    page = client.get(reverse("audit_object", args=["projects.Project", pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "已删除" in text and "绥中四方台风电项目" in text and "80000" in text
    client.force_login(sealed.outsider)  # Jinzhou's admin: not theirs
    assert client.get(reverse("audit_object", args=["projects.Project", pk])).status_code == 404


# --- the chain --------------------------------------------------------------------------------

def _history_table(model):
    return model.history.model._meta.db_table


def test_an_intact_chain_verifies(sealed):
    checked, findings = verify()
    assert findings == [] and checked == AuditEntry.objects.count() > 0
    assert ChainHead.objects.get().seq == checked
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, checked + 1))


def test_a_history_row_edited_in_sql_is_caught(sealed):
    row = sealed.p_lianshan.history.order_by("history_date").first()
    entry = AuditEntry.objects.get(table="projects.HistoricalProject", row_id=row.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_history_table(Project)} SET total_investment = 1 WHERE history_id = %s", [row.pk])
    with pytest.raises(CommandError, match="审计链核对未通过"):
        call_command("verify_audit")
    _checked, findings = verify()
    assert findings[0].seq == entry.seq and "已被改动" in findings[0].message


def test_a_history_row_deleted_in_sql_is_caught(sealed):
    row = sealed.p_lianshan.history.order_by("history_date").first()
    entry = AuditEntry.objects.get(table="projects.HistoricalProject", row_id=row.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_history_table(Project)} WHERE history_id = %s", [row.pk])
    _checked, findings = verify()
    assert findings[0].seq == entry.seq and "已被删除" in findings[0].message


def test_a_removed_link_and_a_removed_tail_are_caught(sealed):
    middle = AuditEntry.objects.order_by("seq")[3]
    AuditEntry.objects.filter(pk=middle.pk).delete()
    _checked, findings = verify()
    assert findings[0].seq == middle.seq and "被删除" in findings[0].message


def test_a_removed_tail_is_caught(sealed):
    last = AuditEntry.objects.order_by("-seq").first()
    AuditEntry.objects.filter(pk=last.pk).delete()
    _checked, findings = verify()
    assert findings[0].seq == last.seq and "末尾" in findings[0].message


def test_a_row_slipped_in_without_a_seal_is_reported(sealed):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_history_table(Sector)} (id, name, \"order\", history_date, history_type, "
                       f"history_source, history_detail) VALUES (999, '伪造', 1, %s, '+', 'web', '')", [timezone.now()])
    _checked, findings = verify()
    assert findings and "未封存" in findings[-1].message and "projects.HistoricalSector" in findings[-1].message


def test_writes_are_sealed_when_their_transaction_commits(cast, django_capture_on_commit_callbacks):
    seal_unsealed()
    with django_capture_on_commit_callbacks(execute=True), audit_context(Source.IMPORT, user=cast.admin):
        cast.p_lianshan.name = "改名"
        cast.p_lianshan.save()
        save_in_bulk(Project, updated=[cast.p_suizhong, cast.p_jinzhou], fields=["name"])  # the bulk path
        sector = Sector(name="新能源")
        save_in_bulk(Sector, created=[sector])
    assert verify() == (AuditEntry.objects.count(), [])
    latest = AuditEntry.objects.filter(source="import").order_by("seq")
    assert [(e.model, e.object_id, e.action) for e in latest] == [
        ("projects.Project", str(cast.p_lianshan.pk), "~"),
        ("projects.Project", str(cast.p_suizhong.pk), "~"), ("projects.Project", str(cast.p_jinzhou.pk), "~"),
        ("projects.Sector", str(sector.pk), "+"),
    ]
    assert {e.username for e in latest} == {"admin"}


@pytest.mark.usefixtures("committed_db")
def test_parallel_writes_do_not_fork_the_chain():
    if connection.vendor != "postgresql":  # SQLite's in-memory test database takes one writer at a time
        pytest.skip("concurrent writers: PostgreSQL")
    from keyprojects.regions.models import Region

    city = Region.objects.get(name="葫芦岛市")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                Project.objects.create(name=f"并行项目{n}-{i}", region=city, total_investment=1)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    checked, findings = verify()
    assert findings == []
    assert AuditEntry.objects.filter(model="projects.Project").count() == 20
    assert ChainHead.objects.get().seq == checked == AuditEntry.objects.count()
    User.objects.all().delete()
