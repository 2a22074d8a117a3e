"""Notifications: notify() once per event, in the caller's transaction; the channels (e-mail, the
企业微信 and 钉钉 group robots against a local HTTP server), retried and given up, never in the
caller's way; the daily digest; the bell in the header; the message list and the channels' pages
with their permissions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from keyprojects.notices import services, tasks
from keyprojects.notices.channels import WeComChannel
from keyprojects.notices.context_processors import unread_notices
from keyprojects.notices.models import Channel, Delivery, Message
from keyprojects.projects.services import EditConflict

pytestmark = pytest.mark.django_db

EVENT = "problem:42:overdue:2022-07-16"
SUBJECT = "【督办】连石化工苯二胺项目用地问题已逾期"
BODY = "责任单位：连山区发展和改革局\n办理时限：2022-07-15"


class Robot:
    """A group robot on a local HTTP server: it keeps what it is sent and answers as it is told
    (``status`` and ``reply``)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, list[str]], object]] = []  # (path, query, JSON body)
        self.raw_queries: list[str] = []
        self.status, self.reply = 200, {"errcode": 0, "errmsg": "ok"}
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robot.received.append((parts.path, parse_qs(parts.query), json.loads(body.decode("utf-8"))))
                robot.raw_queries.append(parts.query)
                answer = json.dumps(robot.reply).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/cgi-bin/webhook/send?key=693a91f6") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # urllib would honour a proxy of the environment
    robot = Robot()
    yield robot
    robot.close()


@pytest.fixture
def site(settings):
    settings.KEYPROJECTS_SITE_URL = "https://xm.example.gov.cn"
    settings.KEYPROJECTS_NOTICE_ATTEMPTS = 3


def channel(cast, kind: str, unit=None, **fields) -> Channel:
    return services.save_channel(cast.admin, {"unit": unit or cast.lianshan_fgj, "name": f"{kind}群", "kind": kind,
                                              **fields})


def notified(capture, *args, **kwargs) -> list[Message]:
    """notify() in a transaction that commits (its deliveries sent as the worker would)."""
    with capture(execute=True), transaction.atomic():
        return services.notify(*args, **kwargs)


def refused_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def due_now(delivery: Delivery) -> None:
    """Let the time pass until the delivery's next try."""
    delivery.refresh_from_db()
    delivery.next_try_at = timezone.now() - timedelta(seconds=1)
    delivery.save()


# --- notify -----------------------------------------------------------------------------------
def test_notifying_an_event_twice_writes_one_message_per_recipient_and_sends_each_channel_once(
        cast, robot, site, django_capture_on_commit_callbacks):
    wecom = channel(cast, "wecom", webhook_url=robot.url())
    mailbox = channel(cast, "email", email="lsfgj@example.gov.cn")
    people = [cast.lianshan_clerk, cast.leader_user]
    first = notified(django_capture_on_commit_callbacks, EVENT, people, SUBJECT, BODY, "/projects/1/",
                     units=[cast.lianshan_fgj])
    again = notified(django_capture_on_commit_callbacks, EVENT, [*people, cast.admin], SUBJECT, BODY,
                     "/projects/1/", units=[cast.lianshan_fgj, cast.lianshan_fgj])

    assert {m.recipient for m in first} == set(people) and [m.recipient for m in again] == [cast.admin]
    assert Message.objects.filter(event=EVENT).count() == 3
    assert sorted(Delivery.objects.filter(event=EVENT).values_list("channel", "state")) == [
        (wecom.pk, "sent"), (mailbox.pk, "sent")]
    assert len(robot.received) == 1 and len(mail.outbox) == 1


def test_many_events_at_once_write_each_message_once_and_send_only_the_units_with_a_channel(
        cast, robot, site, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    wecom = channel(cast, "wecom", webhook_url=robot.url())
    services.notify(EVENT, [cast.lianshan_clerk], SUBJECT)  # one of them told already
    people = [cast.lianshan_clerk, cast.leader_user, cast.leader_user]
    many = [services.Notice(f"{EVENT}:{n}", people, SUBJECT, BODY, "/alerts/1/") for n in range(50)]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with django_assert_max_num_queries(8):  # whatever the number of events and people
            written = services.notify_many([*many, services.Notice(EVENT, people, SUBJECT, units=[cast.suizhong_fgj])])
        told = services.notify_many([services.Notice(EVENT, people, SUBJECT, BODY, units=[cast.lianshan_fgj])])
    assert (written, told) == (101, 0)
    assert Message.objects.filter(event=EVENT).count() == 2 and Message.objects.filter(event=f"{EVENT}:7").count() == 2
    assert Message.objects.get(event=f"{EVENT}:7", recipient=cast.leader_user).url == "/alerts/1/"
    assert list(Delivery.objects.values_list("event", "channel", "state")) == [(EVENT, wecom.pk, "sent")]
    with pytest.raises(ValueError):
        services.notify_many([services.Notice("", people, SUBJECT)])


def test_a_rolled_back_transaction_leaves_no_message_and_sends_nothing(
        cast, robot, django_capture_on_commit_callbacks):
    channel(cast, "wecom", webhook_url=robot.url())
    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError),
          transaction.atomic()):
        services.notify_unit(EVENT, cast.lianshan_fgj, SUBJECT, BODY)
        assert Message.objects.filter(event=EVENT).count() == 1  # written, in the caller's transaction
        raise RuntimeError("the problem could not be saved")
    assert callbacks == []
    assert not Message.objects.exists() and not Delivery.objects.exists()
    assert robot.received == [] and mail.outbox == []


def test_a_unit_is_notified_through_its_active_users_and_active_channels(cast, robot, django_capture_on_commit_callbacks):
    colleague = cast.lianshan_clerk.__class__.objects.create_user(
        "lianshan2", role="county_clerk", unit=cast.lianshan_fgj, is_active=False)
    on = channel(cast, "wecom", webhook_url=robot.url())
    off = channel(cast, "dingtalk", webhook_url=robot.url("/robot/send?access_token=t"))
    services.set_channel_active(cast.admin, off.pk, False)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_unit(EVENT, cast.lianshan_fgj, SUBJECT, BODY)
    assert list(Message.objects.values_list("recipient", flat=True)) == [cast.lianshan_clerk.pk]
    assert colleague.pk not in Message.objects.values_list("recipient", flat=True)
    assert list(Delivery.objects.values_list("channel", flat=True)) == [on.pk]


def test_a_duplicate_written_meanwhile_is_skipped_and_the_callers_transaction_goes_on(cast):
    with transaction.atomic():
        Message.objects.create(event=EVENT, recipient=cast.admin, subject=SUBJECT)
        assert Message.objects.create_once(event=EVENT, recipient=cast.admin, subject="again") is None
        assert Message.objects.filter(event=EVENT).count() == 1  # the transaction is still usable
    assert Message.objects.get(event=EVENT).subject == SUBJECT


def test_an_event_key_is_required(cast):
    with pytest.raises(ValueError):
        services.notify("", [cast.admin], SUBJECT)
    with pytest.raises(ValueError):
        services.notify("x" * 201, [cast.admin], SUBJECT)


# --- channels ---------------------------------------------------------------------------------
def test_an_email_channel_sends_through_djangos_mail(cast, site, django_capture_on_commit_callbacks):
    channel(cast, "email", email="lsfgj@example.gov.cn")
    notified(django_capture_on_commit_callbacks, EVENT, [], SUBJECT, BODY, "/projects/1/", units=[cast.lianshan_fgj])
    [sent] = mail.outbox
    assert sent.to == ["lsfgj@example.gov.cn"]
    assert sent.subject == f"【重点项目管理平台】{SUBJECT}"
    assert sent.body == f"{BODY}\n\nhttps://xm.example.gov.cn/projects/1/\n\n重点项目管理平台"


def test_a_wecom_robot_gets_the_markdown_message_it_documents(cast, robot, site, django_capture_on_commit_callbacks):
    channel(cast, "wecom", webhook_url=robot.url())
    notified(django_capture_on_commit_callbacks, EVENT, [], SUBJECT, BODY, "/projects/1/", units=[cast.lianshan_fgj])
    [(path, query, body)] = robot.received
    assert path == "/cgi-bin/webhook/send" and query == {"key": ["693a91f6"]}
    assert body == {"msgtype": "markdown", "markdown": {"content": (
        f"**{SUBJECT}**\n\n{BODY}\n\n[查看详情](https://xm.example.gov.cn/projects/1/)\n\n—— 重点项目管理平台")}}


def test_a_dingtalk_robot_gets_its_markdown_message_on_a_signed_url(cast, robot, site,
                                                                    django_capture_on_commit_callbacks):
    secret = "SEC5b1f0c7d0e5d4c4a9f7e2a1b3c4d5e6f"
    channel(cast, "dingtalk", webhook_url=robot.url("/robot/send?access_token=abc123"), secret=secret)
    before = round(time.time() * 1000)
    notified(django_capture_on_commit_callbacks, EVENT, [], SUBJECT, BODY, "/projects/1/", units=[cast.lianshan_fgj])
    [(path, query, body)] = robot.received
    assert body == {"msgtype": "markdown", "markdown": {"title": SUBJECT, "text": (
        f"**{SUBJECT}**\n\n责任单位：连山区发展和改革局  \n  办理时限：2022-07-15\n\n"
        "[查看详情](https://xm.example.gov.cn/projects/1/)\n\n—— 重点项目管理平台")}}
    assert path == "/robot/send" and query["access_token"] == ["abc123"]
    # 钉钉's check: Base64(HMAC-SHA256(key=secret, "timestamp\nsecret")), within an hour of its clock
    timestamp = query["timestamp"][0]
    assert before <= int(timestamp) <= round(time.time() * 1000)
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    assert query["sign"] == [expected.decode()]
    assert f"&sign={quote_plus(expected)}" in robot.raw_queries[0]  # URL-encoded: "+", "/" and "=" escaped


def test_a_dingtalk_robot_without_a_secret_gets_the_url_as_configured(cast, robot, django_capture_on_commit_callbacks):
    channel(cast, "dingtalk", webhook_url=robot.url("/robot/send?access_token=abc123"))
    notified(django_capture_on_commit_callbacks, EVENT, [], SUBJECT, "", "/projects/1/", units=[cast.lianshan_fgj])
    [(_path, query, body)] = robot.received
    assert query == {"access_token": ["abc123"]}
    # without KEYPROJECTS_SITE_URL a page's path is no link a group chat can follow: left out
    assert body["markdown"]["text"] == f"**{SUBJECT}**\n\n—— 重点项目管理平台"


def test_a_failing_robot_is_retried_with_a_growing_wait_then_given_up_and_the_workflow_goes_on(
        cast, robot, site, caplog, django_capture_on_commit_callbacks):
    wecom = channel(cast, "wecom", webhook_url=robot.url())
    robot.status = 500
    caplog.set_level(logging.WARNING, logger="keyprojects.notices")
    [message] = notified(django_capture_on_commit_callbacks, EVENT, [cast.lianshan_clerk], SUBJECT, BODY,
                         units=[cast.lianshan_fgj])
    assert Message.objects.filter(pk=message.pk).exists()  # the caller's work stands

    delivery = Delivery.objects.get(channel=wecom)
    waits = []
    for attempts in (1, 2):
        assert (delivery.state, delivery.attempts) == ("queued", attempts)
        assert "HTTP Error 500" in delivery.last_error
        waits.append(round((delivery.next_try_at - timezone.now()).total_seconds() / 60))
        assert tasks.retry_deliveries.call() == 0  # not due yet: nothing tried
        due_now(delivery)
        tasks.retry_deliveries.call()
        delivery.refresh_from_db()
    assert waits == [5, 10]
    assert (delivery.state, delivery.attempts, delivery.next_try_at) == ("failed", 3, None)
    assert len(robot.received) == 3
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING", "ERROR"]
    assert "given up after 3 attempt(s)" in caplog.records[-1].getMessage()


def test_a_robot_that_refuses_the_connection_or_the_message_is_retried(cast, robot, django_capture_on_commit_callbacks):
    down = channel(cast, "wecom", webhook_url=f"http://127.0.0.1:{refused_port()}/cgi-bin/webhook/send?key=k")
    refusing = channel(cast, "dingtalk", webhook_url=robot.url("/robot/send?access_token=wrong"))
    robot.reply = {"errcode": 310000, "errmsg": "sign not match"}  # (钉钉 answers 200 with an errcode)
    notified(django_capture_on_commit_callbacks, EVENT, [], SUBJECT, units=[cast.lianshan_fgj])
    first, second = (Delivery.objects.get(channel=c) for c in (down, refusing))
    assert first.state == "queued" and first.attempts == 1 and "URLError" in first.last_error
    assert second.state == "queued" and second.attempts == 1
    assert second.last_error == "DeliveryFailed: errcode 310000: sign not match"

    robot.reply = {"errcode": 0, "errmsg": "ok"}
    due_now(second)
    assert tasks.retry_deliveries.call() == 1
    second.refresh_from_db()
    assert second.state == "sent" and second.sent_at is not None and second.attempts == 2


def test_a_delivery_whose_job_could_not_be_queued_is_sent_by_the_retry_job(
        cast, robot, monkeypatch, django_capture_on_commit_callbacks):
    wecom = channel(cast, "wecom", webhook_url=robot.url())

    def broken(*args, **kwargs):
        raise RuntimeError("the job queue is down")

    monkeypatch.setattr(type(tasks.deliver.get_backend()), "enqueue", broken)
    [message] = notified(django_capture_on_commit_callbacks, EVENT, [cast.lianshan_clerk], SUBJECT,
                         units=[cast.lianshan_fgj])
    assert message.pk and Delivery.objects.get(channel=wecom).state == "queued" and robot.received == []
    assert tasks.retry_deliveries.call() == 1
    assert len(robot.received) == 1


def test_a_delivery_is_not_sent_twice_when_two_attempts_meet(cast, robot, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    """Two jobs take the same delivery (the retry job listed it due just before the job queued at
    commit claimed it; two workers): the second finds it claimed while the first is sending."""
    channel(cast, "wecom", webhook_url=robot.url())
    with django_capture_on_commit_callbacks(execute=False):
        services.notify(EVENT, [], SUBJECT, units=[cast.lianshan_fgj])
    delivery = Delivery.objects.get()
    meanwhile = []
    send = WeComChannel.send

    def slow_send(self, sent):
        meanwhile.append(tasks.deliver.call(sent.pk))  # another worker's turn, mid-send
        send(self, sent)

    monkeypatch.setattr(WeComChannel, "send", slow_send)
    tasks.deliver.call(delivery.pk)
    delivery.refresh_from_db()
    assert meanwhile == ["queued"] and len(robot.received) == 1
    assert (delivery.state, delivery.attempts) == ("sent", 1)


def test_a_channel_switched_off_fails_its_queued_deliveries_without_sending(cast, robot,
                                                                          django_capture_on_commit_callbacks):
    wecom = channel(cast, "wecom", webhook_url=robot.url())
    with django_capture_on_commit_callbacks(execute=False):  # queued; the worker has not run yet
        services.notify(EVENT, [], SUBJECT, units=[cast.lianshan_fgj])
    services.set_channel_active(cast.admin, wecom.pk, False)
    tasks.retry_deliveries.call()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("failed", 1, "Undeliverable: 渠道已停用")
    assert robot.received == []


# --- the daily digest ---------------------------------------------------------------------------
def test_the_digest_mails_each_user_their_unread_messages_of_the_day_once_a_day(
        cast, site, django_capture_on_commit_callbacks):
    clerk, admin = cast.lianshan_clerk, cast.admin
    clerk.email, clerk.display_name = "ls@example.gov.cn", "李明"
    clerk.save()
    now = timezone.now()
    services.notify("old", [clerk], "两天前的消息")
    Message.objects.filter(event="old").get().delete()  # (replaced below by one dated two days ago)
    Message.objects.create(event="old", recipient=clerk, subject="两天前的消息", created_at=now - timedelta(days=2))
    services.notify("meeting:7", [clerk, admin], "7月18日集中调度会通知")
    services.notify("problem:42", [clerk], SUBJECT)
    services.read_message(clerk, Message.objects.get(event="problem:42").pk)
    services.notify("problem:43", [clerk], "连山区征地拆迁问题已交办")  # admin has no address: no digest

    with django_capture_on_commit_callbacks(execute=True):
        tasks.queue_digests(now + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.queue_digests(now + timedelta(minutes=2))  # the same day again: nothing more
    [digest] = mail.outbox
    assert digest.to == ["ls@example.gov.cn"]
    day = f"{timezone.localdate(now + timedelta(minutes=1)):%Y-%m-%d}"
    assert digest.subject == f"【重点项目管理平台】{day}：您有 2 条未读消息"
    assert digest.body.startswith("李明，您好：\n\n过去一天您有 2 条未读消息：\n\n1. 连山区征地拆迁问题已交办（")
    listed = Message.objects.get(event="problem:43")
    assert f"   https://xm.example.gov.cn/notices/{listed.pk}/\n2. 7月18日集中调度会通知（" in digest.body
    assert "两天前" not in digest.body and SUBJECT not in digest.body
    assert Delivery.objects.get().event == f"digest:{clerk.pk}:{day}"

    [later] = services.notify("problem:44", [clerk], "新交办问题")
    later.created_at = now + timedelta(hours=20)
    later.save()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.queue_digests(now + timedelta(days=1, minutes=1))  # the next day
    assert len(mail.outbox) == 2 and "新交办问题" in mail.outbox[1].body


def test_the_digest_job_is_on_the_schedule_every_morning():
    from keyprojects.core.schedule import SCHEDULE

    jobs = {job.name: (job.cron, job.task) for job in SCHEDULE}
    assert jobs["send_digests"] == ("0 8 * * *", tasks.send_digests)
    assert jobs["retry_deliveries"][1] == tasks.retry_deliveries


# --- reading: the bell, the list, a message ----------------------------------------------------
def test_the_header_shows_the_unread_count_until_the_messages_are_read(cast, client):
    clerk = cast.lianshan_clerk
    for n in range(3):
        services.notify(f"problem:{n}", [clerk], f"问题 {n} 已交办")
    services.notify("problem:9", [cast.suizhong_clerk], "别人的消息")
    client.force_login(clerk)
    page = client.get(reverse("dashboard")).content.decode()
    # the bell's name read out is its visible count and the words around it: "消息 3 条未读"
    assert 'id="unread-notices">3<span class="visually-hidden">条未读</span>' in page

    client.get(reverse("notices:message", args=[Message.objects.get(event="problem:0").pk]))
    assert 'id="unread-notices">2<span' in client.get(reverse("projects:list")).content.decode()
    client.post(reverse("notices:read_all"))
    assert 'id="unread-notices"' not in client.get(reverse("dashboard")).content.decode()
    assert Message.objects.get(recipient=cast.suizhong_clerk).read_at is None


def test_the_unread_count_is_one_query_a_request_and_none_for_a_visitor(cast, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    services.notify("problem:1", [cast.admin], SUBJECT)
    request = RequestFactory().get("/")
    request.user = cast.admin
    count = unread_notices(request)["unread_notices"]
    with django_assert_num_queries(1):
        assert count() == 1 and count() == 1 and unread_notices(request)["unread_notices"]() == 1
    request.user = AnonymousUser()
    assert unread_notices(request) == {}


def test_the_message_list_shows_a_users_own_messages_unread_first(cast, client, django_assert_max_num_queries):
    clerk = cast.lianshan_clerk
    for n in range(40):
        services.notify(f"e:{n}", [clerk], f"消息{n:02d}")
    services.notify("mine-not", [cast.suizhong_clerk], "绥中县的消息")
    services.read_message(clerk, Message.objects.get(event="e:39").pk)  # the newest, read
    client.force_login(clerk)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("notices:list")).content.decode()
    subjects = [s for s in (f"消息{n:02d}" for n in range(40)) if s in page]
    assert len(subjects) == 30 and "消息39" not in page  # 39 unread first, newest first: 38 … 09
    assert page.index("消息38") < page.index("消息09") and "消息08" not in page
    assert "绥中县的消息" not in page and "全部标为已读" in page
    assert "消息39" in client.get(reverse("notices:list") + "?page=2").content.decode()


def test_opening_a_message_marks_it_read_and_goes_to_its_page(cast, client):
    clerk = cast.lianshan_clerk
    [linked] = services.notify("a", [clerk], SUBJECT, BODY, f"/projects/{cast.p_lianshan.pk}/")
    [plain] = services.notify("b", [clerk], "调度会纪要已印发", "请各单位按纪要落实。")
    [elsewhere] = services.notify("c", [clerk], "外站", url="https://evil.example.com/")
    client.force_login(clerk)
    response = client.get(reverse("notices:message", args=[linked.pk]))
    assert response.status_code == 302 and response["Location"] == f"/projects/{cast.p_lianshan.pk}/"
    page = client.get(reverse("notices:message", args=[plain.pk]))
    assert page.status_code == 200 and "请各单位按纪要落实。" in page.content.decode()
    page = client.get(reverse("notices:message", args=[elsewhere.pk]))
    assert page.status_code == 200 and 'href="https://evil.example.com/" rel="noopener noreferrer"' in page.content.decode()
    assert not Message.objects.unread().exists()


def test_another_users_message_is_not_found_and_stays_unread(cast, client):
    [theirs] = services.notify("a", [cast.suizhong_clerk], SUBJECT)
    for who in ("lianshan_clerk", "admin", "superuser"):
        client.force_login(getattr(cast, who))
        assert client.get(reverse("notices:message", args=[theirs.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("notices:message", args=[theirs.pk])).status_code == 302  # to the login
    assert Message.objects.get(pk=theirs.pk).read_at is None


# --- the channels' pages -------------------------------------------------------------------------
CHANNEL_MATRIX = [  # (who, the city's channel's page, the county's channel's page, the list)
    ("admin", 200, 200, 200),
    ("superuser", 200, 200, 200),
    ("lianshan_clerk", 403, 403, 403),
    ("dept_clerk", 403, 403, 403),
    ("leader_user", 403, 403, 403),
    ("viewer", 403, 403, 403),
    ("outsider", 404, 404, 200),  # 锦州市's admin: Huludao's channels do not exist for them
]


@pytest.mark.parametrize(("who", "city_page", "county_page", "list_page"), CHANNEL_MATRIX)
def test_who_may_manage_which_channels(cast, client, who, city_page, county_page, list_page):
    city = channel(cast, "wecom", unit=cast.fgw, webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1")
    county = channel(cast, "email", email="ls@example.gov.cn")
    client.force_login(getattr(cast, who))
    assert client.get(reverse("notices:channel", args=[city.pk])).status_code == city_page
    assert client.get(reverse("notices:channel", args=[county.pk])).status_code == county_page
    listing = client.get(reverse("notices:channels"))
    assert listing.status_code == list_page
    if list_page == 200:
        assert (city.name in listing.content.decode()) == (city_page == 200)


def test_a_county_clerk_cannot_change_the_citys_channel(cast, client):
    city = channel(cast, "wecom", unit=cast.fgw, webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1")
    client.force_login(cast.lianshan_clerk)
    posted = {"unit": cast.lianshan_fgj.pk, "name": "改", "kind": "email", "email": "x@example.com"}
    assert client.post(reverse("notices:channel", args=[city.pk]), posted).status_code == 403
    assert client.post(reverse("notices:channel_active", args=[city.pk]), {"active": "0"}).status_code == 403
    assert client.post(reverse("notices:channel_test", args=[city.pk])).status_code == 403
    assert client.post(reverse("notices:channel_create"), posted).status_code == 403
    city.refresh_from_db()
    assert (city.name, city.kind, city.active) == ("wecom群", "wecom", True)
    assert Channel.objects.count() == 1 and not Delivery.objects.exists()


def test_a_city_admin_adds_edits_and_switches_off_a_channel_with_history(cast, client):
    client.force_login(cast.admin)
    response = client.post(reverse("notices:channel_create"), {
        "unit": cast.lianshan_fgj.pk, "name": "项目办工作群", "kind": "dingtalk",
        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abc", "secret": "SECabc"})
    assert response.status_code == 302
    created = Channel.objects.get()
    assert (created.kind, created.secret, created.version) == ("dingtalk", "SECabc", 1)

    page = client.get(reverse("notices:channels")).content.decode()
    assert "oapi.dingtalk.com" in page and "access_token=abc" not in page  # the key is not shown
    edit = client.get(reverse("notices:channel", args=[created.pk])).content.decode()
    assert "SECabc" not in edit
    client.post(reverse("notices:channel", args=[created.pk]), {
        "unit": cast.lianshan_fgj.pk, "name": "项目办工作群（新）", "kind": "dingtalk",
        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abc", "secret": "", "version": 1})
    client.post(reverse("notices:channel_active", args=[created.pk]), {"active": "0"})
    created.refresh_from_db()
    assert (created.name, created.secret, created.active, created.version) == ("项目办工作群（新）", "SECabc", False, 3)
    history = list(created.history.order_by("history_id"))
    assert [(h.name, h.active, h.history_user) for h in history] == [
        ("项目办工作群", True, cast.admin), ("项目办工作群（新）", True, cast.admin), ("项目办工作群（新）", False, cast.admin)]
    assert not hasattr(history[0], "secret")  # the secret is not copied into the trail


def test_a_channel_without_the_address_its_kind_needs_is_refused_by_field_in_chinese(cast, client):
    client.force_login(cast.admin)
    cases = [
        ({"kind": "wecom"}, "webhook_url", "群机器人必须填写有效的 Webhook 地址"),
        ({"kind": "wecom", "webhook_url": "ftp://robot/send"}, "webhook_url", "请填写以 http:// 或 https:// 开头的完整地址"),
        ({"kind": "email", "email": ""}, "email", "邮件渠道必须填写有效的邮箱"),
        ({"kind": "email", "email": "not-an-address"}, "email", "请输入合法的邮件地址"),
        ({"kind": "sms", "email": "a@example.com"}, "kind", "sms 不在可用的选项中"),
    ]
    for fields, field, message in cases:
        response = client.post(reverse("notices:channel_create"), {"unit": cast.lianshan_fgj.pk, "name": "群", **fields})
        assert response.status_code == 200
        assert any(message in error for error in response.context["form"].errors[field]), (fields, response.context["form"].errors)
    assert not Channel.objects.exists()


def test_a_channel_changed_to_another_kind_keeps_nothing_of_the_old_one(cast):
    robot_channel = channel(cast, "dingtalk", webhook_url="https://oapi.dingtalk.com/robot/send?access_token=abc",
                            secret="SECabc")
    changed = services.save_channel(cast.admin, {"kind": "email", "email": "ls@example.gov.cn"}, robot_channel.pk)
    assert (changed.webhook_url, changed.secret, changed.email) == ("", "", "ls@example.gov.cn")


def test_saving_a_channel_someone_changed_meanwhile_is_refused(cast):
    wecom = channel(cast, "wecom", webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1")
    services.save_channel(cast.admin, {"name": "甲"}, wecom.pk, expected_version=1)
    with pytest.raises(EditConflict):
        services.save_channel(cast.admin, {"name": "乙"}, wecom.pk, expected_version=1)
    assert Channel.objects.get().name == "甲"


def test_a_test_message_is_sent_at_once_and_a_failure_shown_and_not_retried(cast, client, robot):
    wecom = channel(cast, "wecom", webhook_url=robot.url())
    client.force_login(cast.admin)
    page = client.post(reverse("notices:channel_test", args=[wecom.pk]), follow=True).content.decode()
    assert "测试消息已发送" in page
    [(_path, _query, body)] = robot.received
    assert body["markdown"]["content"].startswith("**测试消息**\n\n这是一条测试消息：admin 于 ")

    robot.status = 500
    page = client.post(reverse("notices:channel_test", args=[wecom.pk]), follow=True).content.decode()
    assert "测试消息发送失败：HTTPError: HTTP Error 500" in page
    failed = Delivery.objects.get(state="failed")
    assert failed.attempts == 1 and failed.next_try_at is None


def test_failed_deliveries_are_sent_again_once_the_channel_is_mended(cast, client, robot, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.KEYPROJECTS_NOTICE_ATTEMPTS = 1
    wecom = channel(cast, "wecom", webhook_url=robot.url("/wrong"))
    robot.status = 404
    notified(django_capture_on_commit_callbacks, EVENT, [], SUBJECT, units=[cast.lianshan_fgj])
    assert Delivery.objects.get().state == "failed"
    robot.status = 200
    services.save_channel(cast.admin, {"webhook_url": robot.url()}, wecom.pk)
    client.force_login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("notices:channel_resend", args=[wecom.pk]), follow=True).content.decode()
    assert "已重新排队 1 条发送失败的消息" in page
    assert Delivery.objects.get().state == "sent"
    assert [path for path, _query, _body in robot.received] == ["/wrong", "/cgi-bin/webhook/send"]


def test_the_channel_list_is_a_few_queries_however_many_channels(cast, client, django_assert_max_num_queries):
    for unit in (cast.fgw, cast.gxj, cast.lianshan_fgj, cast.suizhong_fgj):
        channel(cast, "wecom", unit=unit, webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1")
        channel(cast, "email", unit=unit, email="office@example.gov.cn")
    client.force_login(cast.admin)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("notices:channels")).content.decode()
    assert page.count("qyapi.weixin.qq.com") == 4 and page.count("office@example.gov.cn") == 4
