from __future__ import annotations

import time

import pytest

from tests.extras import require

require("fastapi")


@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient

    from detente.api.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def make_client(**config):
    from fastapi.testclient import TestClient

    from detente.api.app import ApiConfig, create_app

    return TestClient(create_app(ApiConfig(**config)), raise_server_exceptions=False)


def wait_for_job(client, url: str, timeout: float = 120.0) -> dict:
    """Poll a background job's status URL until it is neither queued nor running (failing the
    test after ``timeout`` seconds); returns its last status document."""
    deadline = time.monotonic() + timeout
    while (job := client.get(url).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job {url} still {job['status']} after {timeout} s"
        time.sleep(0.2)
    return job
