"""Operations (issue 23, finding 7 and the operations section): the production settings refuse to
start without a secret key and pass `check --deploy`; HTTPS settings from the environment; a
Content-Security-Policy with no inline script; the API's schema and docs behind login; Django's
400 page in Chinese; /healthz; structured logs of requests and jobs."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import api
from django.core.management import call_command
from django.test import override_settings
from test_ledgers import DATABASE_QUEUE

import keyprojects
from keyprojects.core import health
from keyprojects.core import tasks as core_tasks
from keyprojects.core.logs import KeyValueFormatter

PACKAGE = Path(keyprojects.__file__).resolve().parent
ROOT = PACKAGE.parent

# The production environment docs/operations.md documents (with a key of the right length).
PRODUCTION = {
    "KEYPROJECTS_SECRET_KEY": "k" * 30 + "-production-test-key-of-fifty-or-more-characters",
    "KEYPROJECTS_ALLOWED_HOSTS": "xm.example.gov.cn",
    "KEYPROJECTS_CSRF_TRUSTED_ORIGINS": "https://xm.example.gov.cn",
    "KEYPROJECTS_HTTPS": "1",
    "KEYPROJECTS_PROXY_SSL_HEADER": "1",
    "KEYPROJECTS_TRUSTED_PROXIES": "127.0.0.1",
}


def run(args: list[str], tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """``args`` in a new process with only ``extra`` of our variables (no demo, no debug)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KEYPROJECTS_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE="keyprojects.settings", KEYPROJECTS_VAR_DIR=str(tmp_path),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])), **extra)
    return subprocess.run([sys.executable, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)




def settings_in(tmp_path: Path, names: list[str], **extra: str) -> dict:
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}))")
    done = run(["-c", code], tmp_path, **extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- settings --------------------------------------------------------------------------------

def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    refused = run(["-m", "keyprojects", "check"], tmp_path)
    assert refused.returncode != 0
    assert "未设置 KEYPROJECTS_SECRET_KEY，拒绝启动" in refused.stderr
    for development in ({"KEYPROJECTS_DEBUG": "1"}, {"KEYPROJECTS_DEMO": "1"}, {"KEYPROJECTS_SECRET_KEY": "x" * 50}):
        assert run(["-m", "keyprojects", "check"], tmp_path, **development).returncode == 0, development


def test_check_deploy_is_clean_with_the_documented_production_variables(tmp_path):
    documented = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name in PRODUCTION:
        assert f"{name}=" in documented, name  # the test checks what the operator is told to set
    done = run(["-m", "keyprojects", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    # and without HTTPS it is not clean: the check really looks
    plain = {k: v for k, v in PRODUCTION.items() if k != "KEYPROJECTS_HTTPS"}
    assert run(["-m", "keyprojects", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **plain).returncode != 0


def test_https_settings_come_from_the_environment(tmp_path):
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
             "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT"]
    on = settings_in(tmp_path, names, **PRODUCTION)
    assert on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"] and on["SECURE_SSL_REDIRECT"]
    assert on["SECURE_HSTS_SECONDS"] == 31536000 and on["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    off = settings_in(tmp_path, names, KEYPROJECTS_DEMO="1")
    assert not off["SESSION_COOKIE_SECURE"] and off["SECURE_HSTS_SECONDS"] == 0 and off["SECURE_PROXY_SSL_HEADER"] is None
    shorter = settings_in(tmp_path, names, **PRODUCTION, KEYPROJECTS_HSTS_SECONDS="3600")
    assert shorter["SECURE_HSTS_SECONDS"] == 3600


@pytest.mark.django_db
def test_behind_the_proxy_an_https_request_gets_hsts_and_a_plain_one_is_redirected(cast, client):
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000,
                           SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        plain = client.get("/login/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        secure = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
        assert secure.status_code == 200 and secure["Strict-Transport-Security"].startswith("max-age=31536000")
        assert client.get("/healthz").status_code != 301  # the monitor may ask over plain HTTP


# --- Content-Security-Policy: no inline script -------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_no_template_has_an_inline_script_or_handler():
    found = []
    for path in PACKAGE.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(PACKAGE)}: {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]
        found += [f"{path.relative_to(PACKAGE)}: {m.group(0)}" for m in HANDLER.finditer(text)]
        found += [f"{path.relative_to(PACKAGE)}: javascript:" for _ in re.finditer("javascript:", text, re.I)]
    assert found == []


@pytest.mark.django_db
def test_pages_carry_the_policy_and_no_inline_script(cast, client):
    client.force_login(cast.admin)
    for url in ["/dashboard/", "/projects/", "/reporting/", "/ledgers/import/", "/api/docs/", "/tokens/"]:
        page = client.get(url)
        assert page.status_code == 200, url
        policy = page["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        html = page.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html))
        assert not HANDLER.search(html.split("<body", 1)[-1]) or url == "/api/docs/", url


# --- the API's schema and docs behind login; the 400 page ------------------------------------

@pytest.mark.django_db
def test_api_schema_and_docs_need_a_login(cast, client):
    refused = client.get("/api/schema/")
    assert refused.status_code == 401 and "身份认证信息未提供" in refused.content.decode()
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/?next=/api/docs/")
    client.force_login(cast.viewer)
    assert client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["openapi"].startswith("3.")
    assert api(cast.viewer).get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 200  # a token too


@pytest.mark.django_db
def test_djangos_400_is_in_chinese(client):
    page = client.get("/login/", HTTP_HOST="evil.example.com")  # DisallowedHost: Django's 400
    assert page.status_code == 400 and "请求的参数有误" in page.content.decode()


# --- /healthz ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_healthz_fails_without_a_live_worker_and_tells_outsiders_no_more(client, settings):
    page = client.get("/healthz")
    assert page.status_code == 503
    assert page.json() == {"status": "fail", "checks": {"database": "ok", "migrations": "ok", "worker": "fail",
                                                         "disk": "ok"}}


def test_healthz_is_ok_once_the_worker_ran_a_job(committed_db, cast, client, settings):
    settings.TASKS = DATABASE_QUEUE
    core_tasks.fail_dead_jobs.enqueue()  # what the schedule enqueues every 10 minutes
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    page = client.get("/healthz")
    assert page.status_code == 200, page.json()
    assert page.json() == {"status": "ok", "checks": dict.fromkeys(health.CHECKS, "ok")}
    settings.KEYPROJECTS_HEALTH_MIN_FREE_MB = 10**12  # a disk that is full for this setting
    full = client.get("/healthz")
    assert full.status_code == 503 and full.json()["checks"]["disk"] == "fail" and "details" not in full.json()
    client.force_login(cast.superuser)  # staff see why
    details = client.get("/healthz").json()["details"]
    assert details["disk"]["min_free_mb"] == 10**12 and details["worker"]["last_job_finished_at"]
    client.logout()
    settings.KEYPROJECTS_HEALTH_ALLOWED = ["10.8.0.0/24"]  # and so does the monitor's address
    assert "details" in client.get("/healthz", REMOTE_ADDR="10.8.0.5").json()
    assert "details" not in client.get("/healthz", REMOTE_ADDR="10.9.0.5").json()


@pytest.mark.django_db
def test_healthz_reports_unapplied_migrations(client, monkeypatch):
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [
        (type("M", (), {"app_label": "projects", "name": "0099_new"})(), False)])
    page = client.get("/healthz", REMOTE_ADDR="127.0.0.1")
    assert page.json()["checks"]["migrations"] == "fail" and page.status_code == 503


# --- logs --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_each_request_is_one_structured_line(cast, client, caplog):
    client.force_login(cast.lianshan_clerk)
    with caplog.at_level(logging.INFO, logger="keyprojects.requests"):
        client.get("/projects/")
        client.get("/projects/999999/")
    ok, missing = [r for r in caplog.records if r.name == "keyprojects.requests"]
    assert ok.levelno == logging.INFO and missing.levelno == logging.WARNING
    assert ok.fields["user"] == "lianshan" and ok.fields["path"] == "/projects/" and ok.fields["status"] == 200
    assert ok.fields["method"] == "GET" and ok.fields["ms"] >= 0
    line = KeyValueFormatter().format(ok)
    assert re.search(r"level=INFO logger=keyprojects.requests event=request user=lianshan ip=127.0.0.1 "
                     r"method=GET path=/projects/ status=200 ms=[\d.]+$", line), line


@pytest.mark.django_db
def test_each_job_logs_its_start_and_end(caplog):
    with caplog.at_level(logging.INFO, logger="keyprojects.jobs"):
        result = core_tasks.fail_dead_jobs.enqueue()
    started, ended = [r.fields for r in caplog.records if r.name == "keyprojects.jobs"]
    assert started == {"event": "job", "name": "keyprojects.core.tasks.fail_dead_jobs", "id": result.id, "state": "RUNNING"}
    assert ended["state"] == "SUCCESSFUL" and ended["id"] == result.id and ended["ms"] >= 0


def test_the_log_level_comes_from_the_environment(tmp_path):
    quiet = settings_in(tmp_path, ["LOGGING"], KEYPROJECTS_DEMO="1", KEYPROJECTS_LOG_LEVEL="warning")
    assert quiet["LOGGING"]["root"]["level"] == "WARNING"
    assert settings_in(tmp_path, ["LOGGING"], KEYPROJECTS_DEMO="1")["LOGGING"]["root"]["level"] == "INFO"


def test_a_value_with_spaces_or_quotes_stays_one_token():
    record = logging.LogRecord("x", logging.INFO, "", 0, "", None, None)
    record.fields = {"path": '/a b/"c"', "user": "张三"}
    assert 'path="/a b/\\"c\\"" user=张三' in KeyValueFormatter().format(record)
