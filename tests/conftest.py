"""The fixed cast every test uses: Huludao's people and a few projects in and out of scope."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django_tasks import TaskResult
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.exceptions import TaskResultDoesNotExist
from rest_framework.test import APIClient

from keyprojects.accounts import services as account_services
from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.core.audit import Source, audit_context
from keyprojects.projects.models import AnnualPlan, Nature, Project, Sector
from keyprojects.regions.models import Region

PASSWORD = "secret-test-pw"


def pytest_configure(config) -> None:
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise looks for it at start-up
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Figures are cached until the next committed write (core.cache.cached), and a test's
    # writes never commit: no caching in tests but tests/test_cache.py's own.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
                       "jobs": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Background jobs run at once, in the test (tests of the worker use the database's queue).
    settings.TASKS = {"default": {"BACKEND": "conftest.ImmediateBackendKeepingResults"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


class ImmediateBackendKeepingResults(ImmediateBackend):
    """django-tasks' ImmediateBackend, which runs a job as it is enqueued, keeping the results so
    that a page can read a job back as it does from the database's queue (also while it runs)."""

    supports_get_result = True
    results: dict[str, TaskResult] = {}  # (the backend is made once per thread: the live server's too)

    def _execute_task(self, task_result: TaskResult) -> None:
        self.results[task_result.id] = task_result
        super()._execute_task(task_result)

    def get_result(self, result_id: str) -> TaskResult:
        try:
            return self.results[result_id]
        except KeyError:
            raise TaskResultDoesNotExist(result_id) from None


def load_test_regions() -> None:
    """Regions of Liaoning (Huludao, Jinzhou …) and Hebei (Qian'an): what every test starts from."""
    call_command("load_regions", province=["辽宁省", "河北省"], verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test regions, loaded once per test database (browser tests put them back after
    their flush: tests/browser/conftest.py)."""
    with django_db_blocker.unblock():
        load_test_regions()


def put_regions_back() -> None:
    if not Region.objects.exists():
        load_test_regions()


@pytest.fixture(scope="module")
def regions_back_after_the_module(django_db_setup, django_db_blocker) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        put_regions_back()


@pytest.fixture
def committed_db(transactional_db, regions_back_after_the_module) -> None:
    """A database whose writes really commit: another thread sees them (a live server) and
    ``transaction.on_commit`` callbacks run. Such a test ends with a flush of *every* table,
    the regions the session loaded once included: they are put back before each such test
    (an earlier one in this worker took them) and when its module is done, so the tests that
    run after it in the same worker find the database as they expect."""
    put_regions_back()


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """The demo (Huludao and Qian'an) loaded once per test module and rolled back after it;
    each test still runs in its own savepoint inside."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_demo", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(demo_data, db):
    return None


def region(name: str) -> Region:
    return Region.objects.match(name)[0]


def make_user(username: str, role: str, unit: Unit, **extra) -> User:
    user = User.objects.create_user(username, password=PASSWORD, role=role, unit=unit, **extra)
    return user


class Cast:
    """Users and projects: a city (葫芦岛市), two of its counties, one department, an enterprise,
    and a neighbouring city (锦州市) that nobody here may see."""

    def __init__(self) -> None:
        with audit_context(Source.SYSTEM, detail="test fixture"):
            self.city = region("葫芦岛市")
            self.lianshan = region("连山区")
            self.suizhong = region("绥中县")
            self.jinzhou = region("锦州市")
            self.fgw = Unit.objects.create(name="葫芦岛市发展和改革委员会", region=self.city, kind=Unit.Kind.DEPARTMENT)
            self.gxj = Unit.objects.create(name="葫芦岛市工业和信息化局", region=self.city, kind=Unit.Kind.DEPARTMENT)
            self.gov = Unit.objects.create(name="葫芦岛市人民政府", region=self.city, kind=Unit.Kind.GOVERNMENT)
            self.lianshan_fgj = Unit.objects.create(name="连山区发展和改革局", region=self.lianshan)
            self.suizhong_fgj = Unit.objects.create(name="绥中县发展和改革局", region=self.suizhong)
            self.jinzhou_fgw = Unit.objects.create(name="锦州市发展和改革委员会", region=self.jinzhou)
            self.company = Unit.objects.create(name="葫芦岛连石化工有限责任公司", region=self.lianshan, kind=Unit.Kind.ENTERPRISE)

            self.admin = make_user("admin", User.Role.CITY_ADMIN, self.fgw)
            self.lianshan_clerk = make_user("lianshan", User.Role.COUNTY_CLERK, self.lianshan_fgj)
            self.suizhong_clerk = make_user("suizhong", User.Role.COUNTY_CLERK, self.suizhong_fgj)
            self.dept_clerk = make_user("gxj", User.Role.DEPARTMENT_CLERK, self.gxj)
            self.leader_user = make_user("leader", User.Role.LEADER, self.gov)
            self.owner = make_user("owner", User.Role.OWNER, self.company)
            self.viewer = make_user("viewer", User.Role.VIEWER, self.fgw)
            self.outsider = make_user("jinzhou", User.Role.CITY_ADMIN, self.jinzhou_fgw)
            self.superuser = User.objects.create_superuser("root", password=PASSWORD)

            self.leader = Leader.objects.create(name="王建国", title="副市长", region=self.city, user=self.leader_user)
            self.sector = Sector.objects.create(name="精细化工")

            self.p_lianshan = self.project(
                "连石化工年产3.5万吨苯二胺项目", self.lianshan, Decimal("52000"),
                owner=self.company, responsible_unit=self.gxj,
            )
            self.p_suizhong = self.project("绥中四方台风电项目", self.suizhong, Decimal("80000"))
            self.p_jinzhou = self.project("锦州港扩建工程", self.jinzhou, Decimal("120000"))
            self.p_lianshan.leaders.add(self.leader)

    def project(self, name: str, where: Region, total: Decimal, **fields) -> Project:
        project = Project.objects.create(name=name, region=where, total_investment=total, sector=self.sector, **fields)
        AnnualPlan.objects.create(project=project, year=2022, nature=Nature.NEW, planned_investment=total / 4)
        return project


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


@pytest.fixture
def login(client):
    def _login(user: User):
        client.force_login(user)
        return client

    return _login


def api(user: User | None = None, key: str | None = None) -> APIClient:
    """A machine client: a token of ``user`` (created through the service) or the given key."""
    client = APIClient()
    if user is not None:
        _, key = account_services.create_token(user, user, "测试")
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


class Notices:
    """What the notifications interface was asked to send: (event key, unit or users)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []

    def notify(self, event, recipients, subject, body="", url="", *, units=()):
        self.sent.append((event, frozenset(recipients)))
        return []

    def notify_unit(self, event, unit, subject, body="", url=""):
        self.sent.append((event, unit))
        return []

    def events(self) -> list[str]:
        return [key for key, _to in self.sent]


@pytest.fixture
def notices(monkeypatch) -> Notices:
    """What the dispatch services ask the notifications interface to send, recorded."""
    from keyprojects.dispatch import services

    recorder = Notices()
    monkeypatch.setattr(services.notices, "notify", recorder.notify)
    monkeypatch.setattr(services.notices, "notify_unit", recorder.notify_unit)
    return recorder
