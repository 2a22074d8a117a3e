"""API tokens' options, as NetBox offers: an expiry (an expired token is a 401), a read-only flag (a
write is a 403), allowed addresses (a request from elsewhere is a 403); the messages in Chinese,
and the token page shows them with the last use."""

from datetime import date, timedelta

import pytest
from conftest import api
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from keyprojects.accounts import services as account_services
from keyprojects.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_an_expired_token_is_a_401_in_chinese(cast):
    token, key = account_services.create_token(cast.lianshan_clerk, cast.lianshan_clerk, "省平台",
                                               expires_at=timezone.now() + timedelta(hours=1))
    assert api(key=key).get("/api/projects/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api(key=key).get("/api/projects/")
    assert response.status_code == 401 and response.json()["message"] == "接口令牌已过期"


def test_an_expiry_in_the_past_is_refused_at_creation(cast):
    with pytest.raises(ValidationError) as caught:
        account_services.create_token(cast.lianshan_clerk, cast.lianshan_clerk, "x",
                                      expires_at=timezone.now() - timedelta(days=1))
    assert "expires_at" in caught.value.message_dict


def test_a_read_only_token_reads_but_a_write_is_a_403(cast):
    _, key = account_services.create_token(cast.lianshan_clerk, cast.lianshan_clerk, "统计局", read_only=True)
    client = api(key=key)
    assert client.get(f"/api/projects/{cast.p_lianshan.pk}/").status_code == 200
    response = client.patch(f"/api/projects/{cast.p_lianshan.pk}/", {"name": "改名", "version": 1}, format="json")
    assert response.status_code == 403 and response.json()["message"] == "只读令牌不能修改数据"
    assert cast.p_lianshan.__class__.objects.get(pk=cast.p_lianshan.pk).name != "改名"
    # the same user's ordinary token may write (the 403 is the flag's, not the user's)
    full = api(cast.lianshan_clerk).patch(f"/api/projects/{cast.p_lianshan.pk}/", {"version": 1}, format="json")
    assert full.status_code == 200, full.content


def test_a_token_limited_to_addresses_refuses_others(cast):
    _, key = account_services.create_token(cast.lianshan_clerk, cast.lianshan_clerk, "省平台",
                                           allowed_ips="10.1.0.0/16, 192.168.5.7")
    client = api(key=key)
    assert client.get("/api/projects/", REMOTE_ADDR="10.1.200.3").status_code == 200
    assert client.get("/api/projects/", REMOTE_ADDR="192.168.5.7").status_code == 200
    response = client.get("/api/projects/", REMOTE_ADDR="10.2.0.1")
    assert response.status_code == 403 and response.json()["message"] == "该令牌不允许从地址 10.2.0.1 使用"
    # behind a trusted proxy the client's address is the forwarded one, never a header from elsewhere
    with override_settings(KEYPROJECTS_TRUSTED_PROXIES=["127.0.0.1"]):
        assert client.get("/api/projects/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.0.9").status_code == 200
        assert client.get("/api/projects/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="8.8.8.8").status_code == 403
    assert client.get("/api/projects/", REMOTE_ADDR="10.2.0.1", HTTP_X_FORWARDED_FOR="10.1.0.9").status_code == 403


def test_a_bad_address_list_names_the_field_in_chinese(cast):
    with pytest.raises(ValidationError) as caught:
        account_services.create_token(cast.lianshan_clerk, cast.lianshan_clerk, "x", allowed_ips="10.1.0.0/16, 内网")
    assert "允许的地址格式不正确" in caught.value.message_dict["allowed_ips"][0]
    assert not ApiToken.objects.exists()


def test_the_token_page_sets_the_options_and_shows_them_with_the_last_use(cast, client):
    client.force_login(cast.lianshan_clerk)
    last_day = date.today() + timedelta(days=30)
    page = client.post(reverse("tokens"), {"name": "移动端", "expires_on": last_day.isoformat(), "read_only": "on",
                                           "allowed_ips": "10.1.0.0/16"})
    assert page.status_code == 200
    token = ApiToken.objects.get(user=cast.lianshan_clerk)
    assert token.read_only and token.allowed_ips == "10.1.0.0/16"
    assert timezone.localtime(token.expires_at).date() == last_day + timedelta(days=1)  # ends at that day's midnight
    key = page.context["new_key"]
    api(key=key).get("/api/projects/", REMOTE_ADDR="10.1.0.1")
    shown = client.get(reverse("tokens")).content.decode()
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M") in shown
    assert "只读" in shown and "仅限 10.1.0.0/16" in shown
    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M") in shown
    refused = client.post(reverse("tokens"), {"name": "坏地址", "allowed_ips": "10.1.0.0/33"})
    assert "允许的地址格式不正确" in refused.content.decode() and ApiToken.objects.count() == 1
