from __future__ import annotations

import pytest

pytest.importorskip("fastapi")


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
