"""No page answers a hostile query parameter with a server error (issue 23, finding 1).

Every URL pattern of the site (as tests/test_scope_walk.py walks them) is requested once as a city
admin while the query parameters it reads are recorded; then each parameter it read gets hostile
values — dates and years out of range, huge and odd numbers, sort keys, page numbers, long
strings, NUL bytes — one at a time. Whatever a page answers, it is not a 5xx; the probes that
were 500s are a 400 in the page's language (JSON for the API). The API's own routes are
fuzzed against their schema by tests/test_api_fuzz.py."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.handlers import wsgi
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_scope_walk import Setting, patterns

pytestmark = pytest.mark.django_db

HOSTILE = [
    "9999-12-31", "0001-01-01", "2022-02-30", "0", "-1", "20220605", "1" * 23, "-" + "9" * 30, "1e309", "nan",
    "inf", "2022.5", "２０２２", "abc", "-name", "region__password", "?", "x" * 5000, "a\x00b", "\x00",
    "' OR 1=1--", "../../etc/passwd", "[]", "{}", "0x10", " ",
]
# (/healthz reads no parameter and answers 503 by design here: no task worker runs in the tests)
SKIPPED = {"logout", "set_language", "api:schema", "api:docs", "favicon", "home", "healthz"}


class Recorded(threading.local):
    names: set[str]

    def __init__(self) -> None:
        self.names = set()


READ = Recorded()


class RecordingQueryDict(QueryDict):
    """A request's GET that remembers which names the page asked for."""

    def __getitem__(self, key):
        READ.names.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        READ.names.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        READ.names.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        READ.names.add(key)
        return super().__contains__(key)


@pytest.fixture
def recording(monkeypatch):
    monkeypatch.setattr(wsgi, "QueryDict", RecordingQueryDict)  # what WSGIRequest.GET is made of


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pages(setting: Setting) -> list[str]:
    urls = []
    for _route, name, wanted in patterns():
        arguments = setting.arguments(name, wanted)
        if arguments is None or name in SKIPPED:
            continue
        urls.append(reverse(name, kwargs=arguments))
    return urls


def parameters_read(client: Client, url: str) -> set[str]:
    READ.names = set()
    client.get(url)
    return set(READ.names) | {"page"}  # (a paged list reads ``page`` only when it has a second page)


def test_no_hostile_query_parameter_gives_a_server_error(cast, recording):
    setting = Setting(cast, cast.lianshan_clerk)
    client = Client(raise_request_exception=False)
    client.force_login(cast.admin)
    probes, failures, answered = 0, [], {}
    for url in pages(setting):
        for name in sorted(parameters_read(client, url)):
            for value in HOSTILE:
                response = client.get(url, {name: value})
                probes += 1
                answered[response.status_code] = answered.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{url}?{name}={value[:30]!r}: {response.status_code}")
    print(f"{probes} probes, answers by status: {dict(sorted(answered.items()))}", *failures, sep="\n")
    assert probes > 1000 and answered.get(400, 0) > 100  # the walk reached the pages' parameters
    assert failures == []


@pytest.mark.parametrize("url", ["/projects/", "/dashboard/", "/projects/export.xlsx", "/dashboard/counties.xlsx"])
@pytest.mark.parametrize("query", ["as_of=9999-12-31", "year=0", "year=-1", "year=20220605", "year=" + "1" * 23])
def test_the_probes_that_were_server_errors_are_a_400_naming_the_parameter(cast, client, url, query):
    client.force_login(cast.admin)
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400
    text = response.content.decode()
    assert ("统计日期" if query.startswith("as_of") else "计划年度") in text
    assert "请检查地址中的参数" in text and response["Content-Type"].startswith("text/html")


def test_a_good_year_and_date_still_show_the_figures(cast, client):
    client.force_login(cast.admin)
    assert client.get("/projects/?year=2022&as_of=2022-06-05").status_code == 200
    assert client.get("/dashboard/?year=2022&as_of=2022-06-05").status_code == 200
    assert client.get("/projects/export.xlsx?year=2022&as_of=2022-06-05").status_code == 200


def test_an_api_list_with_a_bad_year_is_a_json_400_naming_it(cast, client):
    client.force_login(cast.admin)
    response = client.get("/api/projects/?as_of=9999-12-31")
    assert response.status_code == 400
    assert "as_of" in response.json()["errors"]


@pytest.mark.parametrize("url", ["/api/reports/", "/api/projects/", "/api/problems/", "/api/meetings/"])
def test_a_json_body_nested_5000_deep_is_a_json_400(cast, client, url):
    client.force_login(cast.admin)
    for body in ("[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 40 + "]" * 40):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, body[:10]
        assert response["Content-Type"] == "application/json"
        assert "嵌套" in response.json()["message"]


def test_a_json_body_of_ordinary_depth_is_read(cast, client):
    client.force_login(cast.admin)
    response = client.post("/api/reports/", json.dumps({"project": "x", "period": [[{"a": 1}]]}),
                           content_type="application/json")
    assert response.status_code == 400 and "project" in response.json()["errors"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["year", "as_of", "region", "page", "o", "q", "stage", "by"]),
       value=st.one_of(st.text(st.characters(exclude_categories=("Cs",)), max_size=40), st.integers().map(str), st.dates().map(str),
                       st.floats().map(str)))
def test_any_value_of_the_figure_pages_parameters_is_not_a_server_error(cast, name, value):
    client = Client(raise_request_exception=False)
    client.force_login(cast.admin)
    for url in ("/projects/", "/dashboard/", "/projects/export.xlsx", "/api/projects/", "/api/indicators/"):
        response = client.get(url, {name: value})
        assert response.status_code < 500, (url, name, value)


def test_a_csrf_refusal_is_in_chinese(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.admin)
    response = client.post("/sessions/")
    assert response.status_code == 403 and "请刷新页面后重新提交" in response.content.decode()


def test_a_405_has_a_body_naming_the_methods_allowed(cast, client):
    client.force_login(cast.admin)
    response = client.get("/tokens/1/revoke/")  # (require_POST: an empty 405 from Django)
    assert response.status_code == 405 and "POST" in response.content.decode() and "不接受 GET" in response.content.decode()
