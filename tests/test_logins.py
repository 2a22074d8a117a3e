"""Logins, passwords and sessions (issue 23, finding 3): 230 wrong passwords and then the right
one were accepted; now an account, and an address, is locked after AXES_FAILURE_LIMIT failures
with a Chinese page; new passwords follow the rules; idle sessions end; a user ends their other
sessions; the API is throttled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from conftest import PASSWORD, api
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.throttling import SimpleRateThrottle

from keyprojects.core.http import client_ip

pytestmark = pytest.mark.django_db


def attempt(client: Client, username: str, password: str, address: str = "10.0.0.1", **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def test_an_account_is_locked_after_the_failure_limit_even_with_the_right_password(cast, client):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert attempt(client, "admin", "wrong-password-1").status_code == 200  # the form again, with its error
    locked = attempt(client, "admin", "wrong-password-1")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "登录已被暂时锁定" in text and f"连续错误 {limit} 次" in text and "分钟后再试" in text
    right = attempt(client, "admin", PASSWORD)
    assert right.status_code == 429 and SESSION_KEY not in client.session
    # from another address too: the account itself is locked
    assert attempt(Client(), "admin", PASSWORD, address="10.9.9.9").status_code == 429


def test_an_address_trying_many_accounts_is_locked(cast, client):
    names = ["admin", "lianshan", "suizhong", "gxj", "leader", "owner", "viewer"]
    answers = [attempt(client, name, "wrong-password-1").status_code for name in names]
    limit = settings.AXES_FAILURE_LIMIT
    assert answers[:limit - 1] == [200] * (limit - 1) and set(answers[limit - 1:]) == {429}
    assert attempt(client, "viewer", PASSWORD).status_code == 429  # not even a right password from there
    assert attempt(Client(), "viewer", PASSWORD, address="10.0.0.2").status_code == 302  # from elsewhere: yes


def test_a_right_password_before_the_limit_signs_in_and_clears_the_count(cast, client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "admin", "wrong-password-1")
    assert attempt(client, "admin", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="admin", failures_since_start__gt=0).exists()


def test_the_unlock_command_lets_a_locked_account_in_again(cast, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "admin", "wrong-password-1", address="10.0.0.7")
    assert attempt(Client(), "admin", PASSWORD, address="10.0.0.8").status_code == 429
    call_command("axes_reset_username", "admin", verbosity=0)
    assert attempt(Client(), "admin", PASSWORD, address="10.0.0.8").status_code == 302


def test_the_admin_lists_the_lockouts_to_unlock(cast, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "admin", "wrong-password-1")
    client.force_login(cast.superuser)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "admin" in page.content.decode()


def test_the_proxy_header_is_believed_only_from_a_trusted_proxy(settings):
    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.1.1.1")
    settings.KEYPROJECTS_TRUSTED_PROXIES = []
    assert client_ip(forged) == "203.0.113.5"
    settings.KEYPROJECTS_TRUSTED_PROXIES = ["192.168.0.0/24"]
    assert client_ip(forged) == "203.0.113.5"  # not from the proxy: the header is ignored
    proxied = factory.get("/", REMOTE_ADDR="192.168.0.10", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert client_ip(proxied) == "198.51.100.7"  # the nearest address the proxy did not add itself
    chained = factory.get("/", REMOTE_ADDR="192.168.0.10", HTTP_X_FORWARDED_FOR="198.51.100.7, 192.168.0.11")
    assert client_ip(chained) == "198.51.100.7"
    broken = factory.get("/", REMOTE_ADDR="192.168.0.10", HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(broken) == "192.168.0.10"


def test_behind_a_trusted_proxy_the_lockout_counts_the_clients_address(cast, settings):
    settings.KEYPROJECTS_TRUSTED_PROXIES = ["192.168.0.10"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "nobody", "wrong-password-1", address="192.168.0.10", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert AccessAttempt.objects.filter(ip_address="198.51.100.7").exists()
    blocked = attempt(Client(), "viewer", PASSWORD, address="192.168.0.10", HTTP_X_FORWARDED_FOR="198.51.100.7")
    other = attempt(Client(), "viewer", PASSWORD, address="192.168.0.10", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert (blocked.status_code, other.status_code) == (429, 302)


@pytest.mark.parametrize(("password", "message"), [
    ("abc12345", "至少需要 10 个字符"),
    ("abcdefghijkl", "字母和数字"),
    ("2022060512345", "字母和数字"),
    ("password123", "太常见"),
    ("zhangsan2022", "相似"),
])
def test_new_passwords_follow_the_rules_in_chinese(cast, password, message):
    cast.viewer.username = "zhangsan2022"
    with pytest.raises(ValidationError) as found:
        validate_password(password, cast.viewer)
    assert any(message in m for m in found.value.messages), found.value.messages


def test_a_good_password_passes(cast):
    validate_password("Hld2026-xmk", cast.viewer)


def test_the_user_form_refuses_a_password_like_the_user_name(cast, client):
    client.force_login(cast.admin)
    response = client.post(reverse("accounts:create", args=["users"]), {
        "username": "wangxiaoming", "display_name": "王小明", "unit": cast.fgw.pk, "role": "viewer",
        "password": "wangxiaoming1", "is_active": "on"})
    assert response.status_code == 200 and "相似" in response.content.decode()


def test_a_session_ends_after_the_idle_time(cast, client, settings):
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60  # the default: two hours
    assert attempt(client, "viewer", PASSWORD).status_code == 302
    session = Session.objects.get(session_key=client.session.session_key)
    assert timedelta(minutes=119) < session.expire_date - timezone.now() <= timedelta(hours=2)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("dashboard")).status_code == 302  # back to the login page


def test_using_the_site_keeps_the_session_alive(cast, client):
    attempt(client, "viewer", PASSWORD)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=5))
    session = client.session
    session["_seen"] = 0  # last refreshed long ago
    session.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get(reverse("indicator_definitions")).status_code == 200
    assert Session.objects.get(pk=key).expire_date - timezone.now() > timedelta(minutes=119)


def test_a_user_ends_their_other_sessions(cast, client):
    elsewhere = [Client(), Client()]
    for other in elsewhere:
        assert attempt(other, "viewer", PASSWORD).status_code == 302
    someone_else = Client()
    attempt(someone_else, "admin", PASSWORD)
    assert attempt(client, "viewer", PASSWORD).status_code == 302
    page = client.get(reverse("my_sessions"))
    assert "另外 2 处" in page.content.decode()
    done = client.post(reverse("my_sessions"), follow=True)
    assert "已退出其他 2 处登录" in done.content.decode()
    for other in elsewhere:
        assert other.get(reverse("dashboard")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert someone_else.get(reverse("indicator_definitions")).status_code == 200  # another user's: untouched


@pytest.fixture
def throttle_cache(monkeypatch):
    """The tests' default cache keeps nothing (conftest): the throttles count in one of their own."""
    monkeypatch.setattr(SimpleRateThrottle, "cache", LocMemCache("throttle", {}))


def test_the_api_throttles_anonymous_clients_by_address(throttle_cache, monkeypatch):
    """(What an anonymous client may ask: the schema, when the operator opens it (KEYPROJECTS_API_DOCS_PUBLIC).
    Elsewhere it is refused before it is counted.)"""
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/minute")
    monkeypatch.setattr(SpectacularAPIView, "permission_classes", [AllowAny])
    client = api()
    answers = [client.get("/api/schema/", REMOTE_ADDR="10.0.0.3").status_code for _ in range(2)]
    assert answers == [200, 429]
    forged = client.get("/api/schema/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert forged.status_code == 429  # a header naming another address changes nothing
    assert client.get("/api/schema/", REMOTE_ADDR="10.0.0.4").status_code == 200


def test_the_api_throttles_a_user(cast, throttle_cache, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/minute")
    client = api(cast.viewer)
    answers = [client.get("/api/regions/").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert "message" in client.get("/api/regions/").json()
    assert api(cast.admin).get("/api/regions/").status_code == 200
