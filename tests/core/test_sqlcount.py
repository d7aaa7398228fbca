"""BENCH_COUNT_SQL: each response says how many SQL statements it ran (bench/pages.py)."""

import pytest

from lms import create_app
from lms.extensions import db
from lms.sqlcount import HEADER
from tests.conftest import Client, _test_config


@pytest.fixture
def counting_client(database_url, _schema):
    app = create_app({**_test_config(database_url), "BENCH_COUNT_SQL": True})
    app.test_client_class = Client
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_no_sql_count_header_unless_asked(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert HEADER not in response.headers


def test_each_response_counts_its_own_statements(counting_client, make_run):
    make_run()
    counting_client.get("/healthz")  # the first one also checks the schema, once
    first = counting_client.get("/healthz")
    second = counting_client.get("/healthz")
    assert first.status_code == second.status_code == 200
    healthz = int(first.headers[HEADER])
    assert healthz >= 1
    # Per request, not a running total.
    assert int(second.headers[HEADER]) == healthz
    # The catalogue reads runs, courses and centres: more than the health check.
    catalogue = counting_client.get("/")
    assert catalogue.status_code == 200
    assert int(catalogue.headers[HEADER]) > healthz
