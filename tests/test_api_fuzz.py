"""Schemathesis generates requests from the OpenAPI schema, valid and invalid, for every
operation and sends them to the app in-process as a city admin: no input may give a server
error (5xx). Every failing operation is listed with the request that broke it.

(schemathesis' own pytest plugin does not run on pytest 9 yet, so the loop is written out.)"""

import os
from datetime import date

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from keyprojects.accounts import services as account_services
from keyprojects.approvals import services as approval_services

pytestmark = pytest.mark.django_db

# Examples per operation and mode; `make fuzz` sets many more.
EXAMPLES = int(os.environ.get("KEYPROJECTS_FUZZ_EXAMPLES", "15"))


@pytest.fixture
def connection_kept_open():
    """Django closes the database connection when a request finishes; in-process requests
    inside a test transaction must keep it (as Django's own test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_no_input_gives_a_server_error(cast, connection_kept_open):
    key = account_services.create_token(cast.admin, cast.admin, "fuzz")[1]
    # approval items to fill, confirm, waive and reschedule (small ids, which the generator tries)
    approval_services.install_catalogue(cast.admin, cast.city)
    approval_services.schedule_project(cast.admin, cast.p_lianshan.pk, date(2022, 6, 1))
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(),  # (behind login)
                                            headers={"Authorization": f"Token {key}"})
    failures, calls = {}, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def call(case):
                nonlocal calls
                calls += 1
                case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=[not_a_server_error])

            try:
                call()
            except Unsatisfiable:
                pass  # no invalid value exists for this operation's parameters (a free-text path segment)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
                failures[f"{operation.label} ({mode.value})"] = str(exc)[-3000:]
    assert calls > 100
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
