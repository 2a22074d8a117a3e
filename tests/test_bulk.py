"""The bulk writer (``core.bulk``) writes what ``save()`` writes, and each private or undocumented
API of Django, django-simple-history and psycopg it relies on (its docstring names them) still
does what it counts on: an upgrade that breaks one fails here, naming it."""

import contextlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_init
from django.forms.models import model_to_dict
from django.utils import timezone

from keyprojects.accounts.models import Leader
from keyprojects.core.audit import Source, audit_context
from keyprojects.core.bulk import Blank, WritesLater, _kept, insert_rows, save_in_bulk, values_of
from keyprojects.ledgers.importer import NEW_PLAN, NEW_PROJECT
from keyprojects.projects.models import AnnualPlan, Nature, Project, StageTransition
from keyprojects.projects.services import NEW_TRANSITION
from keyprojects.regions.models import Region
from keyprojects.reporting.models import PlanProgress, ProgressReport
from keyprojects.reporting.services import NEW_REPORT

pytestmark = pytest.mark.django_db
BLANKS = {Project: NEW_PROJECT, AnnualPlan: NEW_PLAN, ProgressReport: NEW_REPORT}  # the importer's


@contextlib.contextmanager
def reliance(name: str) -> Iterator[None]:
    """Anything failing inside fails the test naming ``name``: what the code relies on."""
    try:
        yield
    except (Exception, pytest.fail.Exception) as exc:
        pytest.fail(f"an upgrade broke what the code relies on: {name}\n{type(exc).__name__}: {exc}")


def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a reliance of the PostgreSQL path only")


def test_a_blank_makes_what_the_models_init_makes(cast, django_assert_num_queries):
    """``Blank(model)(**values)`` is ``model(**values)``, field for field, with a state of its
    own; with a post_init receiver it is made by ``__init__`` (the receiver runs)."""
    project = Project.objects.first()
    made, blank = [], Blank(AnnualPlan)
    assert blank.constant  # (no callable default: a copy, not ``__init__``, is what is tested)
    with reliance("an instance made by copying Model.__dict__ onto Model.__new__ with a new ModelState, "
                  "ModelState.fields_cache: core.bulk.Blank"):
        for _ in range(2):
            made.append(blank(project=project, year=2024, planned_investment=Decimal("12.5")))
        made.append(AnnualPlan(project=project, year=2024, planned_investment=Decimal("12.5")))
        values = [{k: v for k, v in plan.__dict__.items() if k != "_state"} for plan in made]
        assert values[0] == values[1] == values[2]
        assert made[0]._state.fields_cache == made[2]._state.fields_cache == {"project": project}
        with django_assert_num_queries(0):
            assert made[0]._state is not made[1]._state and made[0]._state.adding and made[0].project is project
        made[0].save()
        assert made[1].pk is None and made[1]._state.adding
        assert model_to_dict(AnnualPlan.objects.get(pk=made[0].pk)) == {**model_to_dict(made[2]), "id": made[0].pk}

    unsaved = Project(name="未入库")
    plan = blank(project=unsaved, year=2024)
    assert plan.project_id is None and plan.project is unsaved
    with pytest.raises(ValueError, match="must be a \"Project\" instance"):
        blank(project=Region.objects.first())

    report = Blank(ProgressReport)
    assert report().period_id is None
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=ProgressReport)
    try:
        with reliance("Signal.has_listeners: core.bulk.Blank"):
            assert seen == [] and report(progress="ok") is seen[0]
    finally:
        post_init.disconnect(receiver, sender=ProgressReport)


@pytest.mark.parametrize("blank", [*BLANKS.values(), NEW_TRANSITION], ids=lambda blank: blank.model.__name__)
def test_each_blank_the_code_keeps_makes_what_the_models_init_makes(cast, blank):
    """The blanks the importer and the services copy new objects from, with what they set."""
    given = {Project: {"name": "新项目", "region": cast.lianshan, "total_investment": Decimal("100.5"),
                       "planned_start": date(2023, 3, 1)},
             AnnualPlan: {"project": cast.p_lianshan, "year": 2023, "nature": Nature.NEW,
                          "planned_investment": Decimal("12.5")},
             ProgressReport: {"project": cast.p_lianshan, "completed_month": Decimal(3), "progress": "主体施工"},
             StageTransition: {"project": cast.p_lianshan, "to_stage": cast.p_lianshan.stage, "date": date(2023, 3, 1),
                               "created_by": None}}[blank.model]
    with reliance("an instance made by copying Model.__dict__ onto Model.__new__ with a new ModelState, "
                  "ModelState.fields_cache: core.bulk.Blank"):
        copy, made = blank(**given), blank.model(**{**blank.defaults, **given})
        assert {k: v for k, v in copy.__dict__.items() if k != "_state"} == {
            k: v for k, v in made.__dict__.items() if k != "_state"}
        # (not ``_state.db``: a copy leaves it to the save, without the descriptor's routing)
        assert (copy._state.adding, copy._state.fields_cache) == (made._state.adding, made._state.fields_cache)


def test_a_foreign_key_set_to_an_object_saved_since_takes_its_pk(cast, django_assert_num_queries):
    """A plan naming a project that had no pk yet gets the project's pk when it is written."""
    project = Project(name="批量写入的项目", region=cast.lianshan, total_investment=Decimal(1))
    plan = AnnualPlan(project=project, year=2023, planned_investment=Decimal(5))
    field = AnnualPlan._meta.get_field("project")
    with reliance("Field.is_cached / Field.get_cached_value, a foreign key's column set in obj.__dict__: "
                  "core.bulk._link_saved_relations"):
        assert field.is_cached(plan) and field.get_cached_value(plan) is project
        save_in_bulk(Project, [project])
        save_in_bulk(AnnualPlan, [plan])
        with django_assert_num_queries(0):
            assert plan.project_id == project.pk and plan.project is project
        assert AnnualPlan.objects.get(pk=plan.pk).project_id == project.pk
    with pytest.raises(ValueError, match="the related object is not saved"):
        save_in_bulk(AnnualPlan, [AnnualPlan(project=Project(name="未入库"), year=2023)])


def test_the_values_written_as_they_are_are_those_django_would_write_unchanged(cast):
    """``core.bulk`` hands ints, strs (choices too), bools, Decimals and None to the driver
    without ``get_db_prep_save``: for every field it writes, Django hands over the same value,
    of the same type."""
    samples = [None, 7, "文本", Nature.NEW, True, Decimal("12.3400"), 1.5, date(2023, 3, 1), timezone.now()]
    with reliance("Field.get_db_prep_save handing ints, strs, bools and Decimals over as they are: "
                  "core.bulk._AS_IS"):
        checked = 0
        for model in (Project, AnnualPlan, ProgressReport, StageTransition, PlanProgress,
                      Project.history.model, AnnualPlan.history.model):
            for field in model._meta.concrete_fields:
                for value in samples:
                    if _kept(field, type(value)):
                        prepared = field.get_db_prep_save(value, connection)
                        # (psycopg's Int4 of an int on PostgreSQL: an int it writes the same)
                        assert isinstance(prepared, type(value)) and prepared == value, f"{model.__name__}.{field.name}"
                        checked += 1
        assert checked > 100


@contextlib.contextmanager
def sqlite_limited_to_999_parameters() -> Iterator[None]:
    """SQLite as old builds are, taking up to 999 parameters a statement: the limit Django's
    ``bulk_batch_size`` keeps to."""
    if connection.vendor != "sqlite":
        yield
        return
    import sqlite3

    connection.ensure_connection()
    limit = connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    try:
        yield
    finally:
        connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)


def test_insert_rows_gives_each_row_the_pk_it_was_written_with(cast):
    """Rows inserted with ``returning`` get their pks back in order, their values stored as
    given; a row saved afterwards gets a pk of its own."""
    now = timezone.now()
    made = [BLANKS[Project](name=f"批量项目{n:03d}", region=cast.lianshan, code=None if n % 2 else f"C-{n:03d}",
                            total_investment=Decimal(n) + Decimal("0.25"), planned_start=date(2023, 1 + n % 12, 1),
                            created_at=now, updated_at=now)
            for n in range(150)]  # (more rows than SQLite takes in one statement)
    fields = [f for f in Project._meta.concrete_fields if not f.primary_key]
    with (reliance("connection.ops.bulk_batch_size and INSERT ... RETURNING (SQLite); pg_get_serial_sequence, "
                   "psycopg's Cursor.copy through CursorWrapper.cursor (PostgreSQL): core.bulk.insert_rows"),
          sqlite_limited_to_999_parameters()):
        pks = insert_rows(Project, fields, list(map(values_of([f.attname for f in fields]), made)), returning=True)
        stored = {p.pk: p for p in Project.objects.filter(pk__in=pks)}
        assert [(stored[pk].name, stored[pk].code, stored[pk].total_investment, stored[pk].planned_start,
                 stored[pk].region_id, stored[pk].created_at) for pk in pks] == [
            (p.name, p.code, p.total_investment, p.planned_start, p.region_id, now) for p in made]
        later = Project.objects.create(name="之后保存的项目", region=cast.lianshan, total_investment=Decimal(1))
        assert later.pk not in pks


def test_held_writes_go_to_postgresql_in_pipeline_mode_and_fail_as_djangos_errors(cast):
    """While ``sent()`` runs, the driver's connection is in pipeline mode; a held write that
    fails raises Django's ``IntegrityError``, as any write does."""
    import psycopg

    postgresql_only()
    later, modes = WritesLater(), []
    later.hold(lambda: modes.append(connection.connection.pgconn.pipeline_status))
    with reliance("psycopg's Connection.pipeline through connection.connection, connection.ensure_connection: "
                  "core.bulk.WritesLater.sent"):
        with later.sent():
            pass
        assert modes == [psycopg.pq.PipelineStatus.ON]

    def duplicate() -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO core_dataversion (scope, n) VALUES (%s, 1), (%s, 1)", ["twice", "twice"])

    later.hold(duplicate)
    with (reliance("connection.wrap_database_errors: core.bulk.WritesLater.sent"),
          pytest.raises(IntegrityError), transaction.atomic(), later.sent()):
        pass


def test_save_in_bulk_writes_the_history_rows_a_save_writes(cast):
    """The bulk writer builds its history rows itself: they must hold what a save() records,
    column for column, for a new object, a change (with a reason) and many-to-many rows."""

    def project(name):
        return Project(name=name, region=cast.lianshan, total_investment=Decimal("1234.5"), sector=cast.sector,
                       owner=cast.company, planned_start=date(2023, 3, 1))

    def plan(of):
        return AnnualPlan(project=of, year=2023, nature=Nature.NEW, planned_investment=Decimal(100))

    def history(obj, kind):
        record = type(obj).history.filter(id=obj.pk, history_type=kind).latest("history_id")
        differ = {"history_id", "id", "name", "project", "leaders", "history_date", "created_at", "updated_at"}
        return {k: v for k, v in model_to_dict(record).items() if k not in differ}

    saved, bulk = project("逐个保存的项目"), project("批量写入的项目")
    saved_plan, bulk_plan = plan(saved), plan(bulk)  # bulk's plan names it before it has an id
    with reliance("simple-history's model.history.model, its tracked_fields and _history_m2m_fields, "
                  "getattr(history_model, field.name).model, simple_history.utils.get_m2m_field_name, "
                  "the history_* columns a save() fills: core.bulk._insert_history, _snapshot_m2m"):
        with audit_context(Source.IMPORT, user=cast.admin, detail="台账.xlsx", ip="10.1.2.3"):
            saved.save()
            saved.leaders.set([cast.leader])
            saved_plan.project = saved
            saved_plan.save()
            save_in_bulk(Project, [bulk], m2m={"leaders": [(bulk, [cast.leader.pk])]})
            save_in_bulk(AnnualPlan, [bulk_plan])
            assert history(bulk, "+") == history(saved, "+") and history(bulk_plan, "+") == history(saved_plan, "+")
            for obj in (saved, bulk):
                obj.total_investment, obj._change_reason = Decimal(2000), "台账更新"
            for obj in (saved_plan, bulk_plan):
                obj.planned_investment, obj._change_reason = Decimal(200), "台账更新"
            saved.save()
            saved_plan.save()
            save_in_bulk(Project, updated=[bulk], fields=["total_investment"])
            save_in_bulk(AnnualPlan, updated=[bulk_plan], fields=["planned_investment"])

        assert history(bulk, "~") == history(saved, "~") and history(bulk_plan, "~") == history(saved_plan, "~")
        first, last = Project.history.filter(id=bulk.pk).order_by("history_id")
        assert (first.history_type, last.history_type, last.history_change_reason) == ("+", "~", "台账更新")
        assert (last.history_user, last.history_source, last.history_detail, last.history_ip) == (
            cast.admin, "import", "台账.xlsx", "10.1.2.3")
        assert first.created_at == first.updated_at == first.history_date  # one moment stamps the write
        assert {r.leader for r in first.leaders.all()} == {r.leader for r in last.leaders.all()} == {cast.leader}
    bulk.refresh_from_db()
    assert bulk.total_investment == 2000 and not bulk._state.adding
    assert AnnualPlan.objects.get(project=bulk, year=2023).planned_investment == 200


def test_save_in_bulk_copies_each_rows_history_with_its_own_change_reason(cast):
    """The history rows are copied by the database from the rows as written: each object's
    own change reason (or none), in the order of the objects' ids, values as stored."""
    projects = [Project(name=f"批量项目{n}", region=cast.lianshan, total_investment=Decimal("100.5")) for n in range(3)]
    save_in_bulk(Project, projects)
    for n, obj in enumerate(projects):
        obj.total_investment = Decimal(200 + n)
    projects[0]._change_reason, projects[2]._change_reason = "台账更新", "核减"
    save_in_bulk(Project, updated=projects, fields=["total_investment"])
    changes = Project.history.filter(id__in=[p.pk for p in projects], history_type="~")
    assert {r.id: (r.history_change_reason, r.total_investment, r.name) for r in changes} == {
        projects[0].pk: ("台账更新", 200, "批量项目0"), projects[1].pk: (None, 201, "批量项目1"),
        projects[2].pk: ("核减", 202, "批量项目2")}
    created = Project.history.filter(id__in=[p.pk for p in projects], history_type="+").order_by("history_id")
    assert [r.id for r in created] == sorted(p.pk for p in projects)
    assert {r.total_investment for r in created} == {Decimal("100.5")}


def test_history_held_back_is_written_when_sent(cast):
    """``later`` holds the history rows (and the snapshots of many-to-many rows) back until it
    sends them; on PostgreSQL it sends them in pipeline mode, and a query inside the block
    still reads what is there, history included."""
    later = WritesLater()
    projects = [Project(name=f"批量项目{n}", region=cast.lianshan, total_investment=Decimal(100)) for n in range(3)]
    save_in_bulk(Project, projects, m2m={"leaders": [(projects[0], [cast.leader.pk])]}, later=later)
    pks = [p.pk for p in projects]
    assert Project.objects.filter(pk__in=pks).count() == 3 and not Project.history.filter(id__in=pks).exists()
    with later.sent():
        assert Project.objects.filter(pk__in=pks, leaders=cast.leader).count() == 1
        assert Project.history.filter(id__in=pks, history_type="+").count() == 3
    assert later.held == []
    assert [r.leader for r in Project.history.get(id=pks[0]).leaders.all()] == [cast.leader]


def test_sending_held_history_has_postgresql_check_the_foreign_keys_so_far(cast):
    """Not at the commit, where the importer would wait for every row's checks at once: a row
    naming a region that does not exist fails when the history held with it is sent."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite checks foreign keys as each row is written")
    later = WritesLater()
    with (reliance("Django's foreign keys on PostgreSQL being DEFERRABLE INITIALLY DEFERRED (SET CONSTRAINTS), "
                   "connection.wrap_database_errors: core.bulk.WritesLater.sent"),
          pytest.raises(IntegrityError), transaction.atomic()):
        save_in_bulk(Project, [Project(name="无处可寻的项目", region_id=987654, total_investment=Decimal(1))], later=later)
        with later.sent():
            pass


def test_many_to_many_rows_set_in_bulk_replace_those_there(cast):
    """``m2m`` leaves an object's many-to-many rows as given: the missing added, the others removed."""
    project = cast.p_lianshan
    project.leaders.set([cast.leader])
    other = Leader.objects.create(name="李振华", region=cast.city)
    with reliance("ManyToManyField.m2m_reverse_field_name, simple_history.utils.get_m2m_field_name: "
                  "core.bulk._set_m2m"):
        save_in_bulk(Project, updated=[project], m2m={"leaders": [(project, [other.pk])]})
        assert list(project.leaders.all()) == [other]
        assert [r.leader for r in Project.history.filter(id=project.pk).latest("history_id").leaders.all()] == [other]

