"""Pages a user opens: every one renders, in Chinese by default and in English on request."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_static_files_collect_with_hashed_names(tmp_path):
    """Production serves hashed static files: every vendored asset must survive post-processing."""
    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/echarts.min.*.js"))


@pytest.mark.parametrize("name", ["projects:list", "projects:create", "dashboard", "indicator_definitions",
                                  "reporting:periods", "accounts:people_default"])
def test_pages_render_for_the_city_admin(cast, client, name):
    client.force_login(cast.admin)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


def test_login_page_in_chinese_and_english(client):
    assert "登录" in client.get(reverse("login")).content.decode()
    client.cookies["django_language"] = "en"
    assert "Log in" in client.get(reverse("login")).content.decode()


def test_an_english_browser_gets_chinese_until_the_user_picks_english(cast, client):
    client.force_login(cast.admin)
    page = client.get(reverse("projects:list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "总投资（降序）" in page and "(descending)" not in page
    client.cookies["django_language"] = "en"
    page = client.get(reverse("projects:list"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in page and "(descending)" in page


def test_wrong_password_is_refused_in_chinese(cast, client):
    response = client.post(reverse("login"), {"username": "admin", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


@pytest.mark.parametrize(("query", "status"), [
    ({"page": "abc"}, 200), ({"page": "99999"}, 200), ({"year": "abcd"}, 400), ({"as_of": "2022-13-45"}, 400),
    ({"region": "x"}, 400), ({"o": "nonsense"}, 400), ({"started": "maybe"}, 400), ({"q": "'; drop table"}, 200),
    ({"year": ""}, 200), ({"o": "-annual_plan"}, 200), ({"leader": "999999"}, 400), ({"nature": "continuing_all"}, 200),
])
def test_project_list_survives_any_query(cast, client, query, status):
    """A filter value the list cannot use is a 400 naming it (issue 23), never a server error."""
    client.force_login(cast.admin)
    assert client.get(reverse("projects:list"), query).status_code == status


@pytest.mark.parametrize(("query", "status"), [({"year": "abc"}, 400), ({"as_of": "nope"}, 400),
                                               ({"region": "999999"}, 200), ({"region": "abc"}, 200)])
def test_dashboard_survives_any_query(cast, client, query, status):
    """(A region not found is the user's own; a year or date that is none is a 400 naming it.)"""
    client.force_login(cast.admin)
    assert client.get(reverse("dashboard"), query).status_code == status


def test_city_admin_manages_units_and_roles_with_audit(cast, client):
    client.force_login(cast.admin)
    response = client.post(reverse("accounts:edit", args=["users", cast.viewer.pk]), {
        "username": "viewer", "display_name": "统计局", "unit": cast.fgw.pk, "role": "leader", "is_active": "on"})
    assert response.status_code == 302
    cast.viewer.refresh_from_db()
    assert cast.viewer.role == "leader"
    record = cast.viewer.history.first()
    assert record.history_user == cast.admin and record.role == "leader" and record.prev_record.role == "viewer"


def test_county_clerk_cannot_manage_people(cast, client):
    client.force_login(cast.lianshan_clerk)
    assert client.get(reverse("accounts:people_default")).status_code == 403
    assert client.post(reverse("accounts:edit", args=["users", cast.viewer.pk]), {"role": "city_admin"}).status_code == 403


def test_city_admin_cannot_manage_another_citys_people(cast, client):
    client.force_login(cast.admin)
    assert client.get(reverse("accounts:edit", args=["users", cast.outsider.pk])).status_code == 404


def test_english_catalog_is_complete():
    """Every string of the interface has an English translation (run `make messages` after adding some)."""
    import re
    from pathlib import Path

    po = (Path(__file__).resolve().parent.parent / "keyprojects/locale/en/LC_MESSAGES/django.po").read_text("utf-8")
    entries = po.split("\n\n")[1:]  # the first block is the header
    untranslated = [e for e in entries if re.search(r'^msgstr ""\n?$', e.strip(), re.M) and "msgid" in e
                    and not re.search(r'^msgstr ""\n"', e.strip(), re.M)]
    assert untranslated == []


def test_project_list_shows_a_start_only_if_it_is_on_or_before_the_as_of_date(cast, client):
    """The 开复工 column agrees with the 已开复工 count: a start after the as-of date is not one yet."""
    from datetime import date

    from keyprojects.projects.models import AnnualPlan

    AnnualPlan.objects.filter(project=cast.p_lianshan).update(started=True, started_on=date(2022, 3, 10))
    AnnualPlan.objects.filter(project=cast.p_suizhong).update(started=True, started_on=date(2022, 8, 15))
    client.force_login(cast.admin)
    url = reverse("projects:list")
    html = client.get(url, {"year": "2022", "as_of": "2022-06-05"}).content.decode()
    assert "2022-03-10" in html and "2022-08-15" not in html
    started = client.get(url, {"year": "2022", "as_of": "2022-06-05", "started": "yes"})
    assert [p.pk for p in started.context["page"]] == [cast.p_lianshan.pk]
    html = client.get(url, {"year": "2022", "as_of": "2022-09-01"}).content.decode()
    assert "2022-03-10" in html and "2022-08-15" in html
    html = client.get(url, {"year": "2022"}).content.decode()  # no date: every recorded start
    assert "2022-08-15" in html


def test_favicon(cast, client):
    """Pages link an SVG mark, and the /favicon.ico browsers ask for anyway leads to it (no 404)."""
    assert 'rel="icon" href="/static/img/favicon.svg"' in client.get(reverse("login")).content.decode()
    response = client.get("/favicon.ico")  # anonymous: the login page asks for it too
    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.svg"
    client.force_login(cast.admin)
    assert 'rel="icon" href="/static/img/favicon.svg"' in client.get(reverse("dashboard")).content.decode()
    assert client.get("/favicon.ico").status_code == 302


def test_a_select_is_rendered_as_djangos_templates_render_it():
    """The form renderer puts a select together in Python (``core.forms.FormRenderer``): the
    markup must be what Django's own templates give, selected options, groups, escaping,
    boolean and empty attributes alike."""
    from django import forms
    from django.forms.renderers import DjangoTemplates
    from django.test import SimpleTestCase

    from keyprojects.core.forms import FormRenderer

    choices = [("", "全部"), ("1", "连山区 <本级> & “引号”"), ("区县", [(2, "绥中县"), (3, "兴城市")])]
    cases = [
        (forms.Select(choices=choices, attrs={"class": "form-select", "disabled": True, "data-x": "a\"b", "data-n": 0}), "2"),
        (forms.Select(choices=choices, attrs={"required": False}), None),
        (forms.SelectMultiple(choices=choices), ["1", "3"]),
        (forms.NullBooleanSelect(), True),
    ]
    check = SimpleTestCase()
    for widget, value in cases:
        ours = widget.render("region", value, attrs={"id": "id_region"}, renderer=FormRenderer())
        theirs = widget.render("region", value, attrs={"id": "id_region"}, renderer=DjangoTemplates())
        check.assertHTMLEqual(ours, theirs)
        assert ours.count("<option") == theirs.count("<option") and ours.count("selected") == theirs.count("selected")


def test_inputs_and_textareas_are_rendered_as_djangos_templates_render_them():
    """The form renderer puts inputs and textareas together in Python too (the filing screen
    has 400 a page): the same string as Django's templates give, values and attributes escaped,
    booleans bare or left out, no value attribute for None."""
    from datetime import date

    from django import forms
    from django.forms.renderers import DjangoTemplates

    from keyprojects.core.forms import FormRenderer

    cases = [
        (forms.TextInput(attrs={"class": "form-control", "aria-label": "形象进度 — “甲” <项目> & 乙", "maxlength": 200}),
         '主体 <施工> & "完成"'),
        (forms.NumberInput(attrs={"step": "any", "required": True, "disabled": False}), Decimal("12000.5")),
        (forms.NumberInput(), None),
        (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), date(2022, 3, 15)),
        (forms.CheckboxInput(attrs={"class": "form-check-input"}), True),
        (forms.CheckboxInput(), False),
        (forms.HiddenInput(), 7),
        (forms.PasswordInput(), "secret"),
        (forms.EmailInput(), ""),
        (forms.Textarea(attrs={"rows": 2}), "问题 <一> & “二”\n第二行"),
        (forms.Textarea(), None),
    ]
    for widget, value in cases:
        with mock.patch.object(DjangoTemplates, "render", side_effect=AssertionError("a template was rendered")):
            ours = widget.render("f", value, attrs={"id": "id_f"}, renderer=FormRenderer())
        assert ours == widget.render("f", value, attrs={"id": "id_f"}, renderer=DjangoTemplates()), ours
    assert "&lt;施工&gt; &amp; &quot;完成&quot;" in FormRenderer().render(
        "django/forms/widgets/text.html", {"widget": forms.TextInput().get_context("f", '主体 <施工> & "完成"', None)["widget"]})
