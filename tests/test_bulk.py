"""The bulk writer (``core.bulk``) writes what ``save()`` writes."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_init
from django.forms.models import model_to_dict

from keyprojects.core.audit import Source, audit_context
from keyprojects.core.bulk import Blank, WritesLater, save_in_bulk
from keyprojects.projects.models import AnnualPlan, Nature, Project
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

pytestmark = pytest.mark.django_db


def test_a_blank_makes_what_the_models_init_makes(cast):
    """``Blank(model)(**values)`` is ``model(**values)``, field for field, with a state of its
    own; with a post_init receiver it is made by ``__init__`` (the receiver runs)."""
    project = Project.objects.first()
    made, blank = [], Blank(AnnualPlan)
    for _ in range(2):
        made.append(blank(project=project, year=2024, planned_investment=Decimal("12.5")))
    made.append(AnnualPlan(project=project, year=2024, planned_investment=Decimal("12.5")))
    values = [{k: v for k, v in plan.__dict__.items() if k != "_state"} for plan in made]
    assert values[0] == values[1] == values[2]
    assert made[0]._state is not made[1]._state and made[0]._state.adding and made[0].project is project
    made[0].save()
    assert made[1].pk is None and made[1]._state.adding

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
        assert seen == [] and report(progress="ok") is seen[0]
    finally:
        post_init.disconnect(receiver, sender=ProgressReport)


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
    with pytest.raises(IntegrityError), transaction.atomic():
        save_in_bulk(Project, [Project(name="无处可寻的项目", region_id=987654, total_investment=Decimal(1))], later=later)
        with later.sent():
            pass
