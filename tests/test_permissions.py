"""The permission matrix: each role × own/other scope × view/edit, through the pages."""

import pytest
from django.urls import reverse

from keyprojects.core.permissions import can_create_project, regions_for
from keyprojects.projects.models import Project

pytestmark = pytest.mark.django_db

# (user, project, status of the detail page, status of the edit page)
MATRIX = [
    ("admin", "p_lianshan", 200, 200),
    ("admin", "p_suizhong", 200, 200),
    ("admin", "p_jinzhou", 404, 404),
    ("lianshan_clerk", "p_lianshan", 200, 200),
    ("lianshan_clerk", "p_suizhong", 404, 404),
    ("suizhong_clerk", "p_suizhong", 200, 200),
    ("suizhong_clerk", "p_lianshan", 404, 404),
    ("dept_clerk", "p_lianshan", 200, 200),  # its unit is the responsible unit
    ("dept_clerk", "p_suizhong", 404, 404),
    ("owner", "p_lianshan", 200, 200),  # its unit owns the project
    ("owner", "p_suizhong", 404, 404),
    ("leader_user", "p_lianshan", 200, 403),
    ("leader_user", "p_suizhong", 200, 403),
    ("leader_user", "p_jinzhou", 404, 404),
    ("viewer", "p_suizhong", 200, 403),
    ("viewer", "p_jinzhou", 404, 404),
    ("outsider", "p_jinzhou", 200, 200),
    ("outsider", "p_lianshan", 404, 404),
    ("superuser", "p_jinzhou", 200, 200),
]


@pytest.mark.parametrize(("who", "which", "view_status", "edit_status"), MATRIX)
def test_permission_matrix(cast, client, who, which, view_status, edit_status):
    client.force_login(getattr(cast, who))
    project = getattr(cast, which)
    assert client.get(reverse("projects:detail", args=[project.pk])).status_code == view_status
    assert client.get(reverse("projects:edit", args=[project.pk])).status_code == edit_status
    assert client.get(reverse("projects:history", args=[project.pk])).status_code == view_status


@pytest.mark.parametrize(("who", "which", "edit_status"), [(w, p, e) for w, p, _, e in MATRIX if e != 200])
def test_refused_edit_posts_change_nothing(cast, client, who, which, edit_status):
    client.force_login(getattr(cast, who))
    project = getattr(cast, which)
    response = client.post(reverse("projects:edit", args=[project.pk]), {"name": "改名", "version": project.version})
    assert response.status_code == edit_status
    assert Project.objects.get(pk=project.pk).name == project.name
    response = client.post(reverse("projects:stage", args=[project.pk]),
                           {"to_stage": "construction", "date": "2022-03-01", "version": project.version})
    assert response.status_code == edit_status
    assert Project.objects.get(pk=project.pk).stage == project.stage


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("admin", {"p_lianshan", "p_suizhong"}),
        ("lianshan_clerk", {"p_lianshan"}),
        ("suizhong_clerk", {"p_suizhong"}),
        ("dept_clerk", {"p_lianshan"}),
        ("owner", {"p_lianshan"}),
        ("leader_user", {"p_lianshan", "p_suizhong"}),
        ("viewer", {"p_lianshan", "p_suizhong"}),
        ("outsider", {"p_jinzhou"}),
        ("superuser", {"p_lianshan", "p_suizhong", "p_jinzhou"}),
    ],
)
def test_list_shows_only_projects_in_scope(cast, client, who, visible):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("projects:list"), {"year": 2022})
    assert response.status_code == 200
    shown = {p.pk for p in response.context["page"]}
    assert shown == {getattr(cast, name).pk for name in visible}
    totals = response.context["totals"]
    assert totals["count"] == len(visible)
    projects = [getattr(cast, name) for name in visible]
    assert totals["total_investment"] == sum(p.total_investment for p in projects)
    assert totals["annual_plan"] == sum(p.plans.get(year=2022).planned_investment for p in projects)


def test_anonymous_user_is_sent_to_login(cast, client):
    response = client.get(reverse("projects:detail", args=[cast.p_lianshan.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_only_region_holders_may_register_projects(cast, client):
    assert can_create_project(cast.admin) and can_create_project(cast.lianshan_clerk)
    for user in (cast.dept_clerk, cast.owner, cast.leader_user, cast.viewer):
        assert not can_create_project(user)
        client.force_login(user)
        assert client.get(reverse("projects:create")).status_code == 403


def test_county_clerk_cannot_place_a_project_in_another_county(cast, client):
    assert cast.suizhong not in regions_for(cast.lianshan_clerk)
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("projects:create"), {
        "name": "越权项目", "region": cast.suizhong.pk, "total_investment": "1000",
        "project_type": "industry", "investment_nature": "enterprise", "level": "county", "stage": "preparation",
    })
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not Project.objects.filter(name="越权项目").exists()


def test_county_clerk_cannot_move_own_project_out_of_county(cast, client):
    client.force_login(cast.lianshan_clerk)
    project = cast.p_lianshan
    response = client.post(reverse("projects:edit", args=[project.pk]), {
        "name": project.name, "region": cast.suizhong.pk, "total_investment": "52000",
        "project_type": "industry", "investment_nature": "enterprise", "level": "city", "version": project.version,
    })
    assert response.status_code == 200  # the region is not among the choices: a form error
    assert Project.objects.get(pk=project.pk).region == cast.lianshan


@pytest.mark.parametrize("who", ["admin", "lianshan_clerk", "leader_user", "viewer"])
def test_django_admin_is_for_superusers_only(cast, client, who):
    user = getattr(cast, who)
    user.is_staff = True
    user.save()
    client.force_login(user)
    response = client.get("/admin/projects/project/")
    assert response.status_code == 302  # sent to the admin login, never shown


def test_superuser_reaches_django_admin(cast, client):
    client.force_login(cast.superuser)
    assert client.get("/admin/projects/project/").status_code == 200


def test_sees_all_of_a_region_only_within_a_region_scope(cast):
    """When it holds, the figures of a region need no second filter for the user's scope."""
    from keyprojects.core.permissions import sees_all_of

    assert sees_all_of(cast.superuser, cast.jinzhou) and sees_all_of(cast.superuser, None)
    assert sees_all_of(cast.admin, cast.city) and sees_all_of(cast.admin, cast.lianshan)
    assert not sees_all_of(cast.admin, cast.jinzhou) and not sees_all_of(cast.admin, None)
    assert sees_all_of(cast.lianshan_clerk, cast.lianshan) and not sees_all_of(cast.lianshan_clerk, cast.city)
    # unit scopes see some projects of a region, never all of them
    assert not sees_all_of(cast.owner, cast.lianshan) and not sees_all_of(cast.dept_clerk, cast.city)
