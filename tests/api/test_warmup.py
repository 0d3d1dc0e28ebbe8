"""The API compiles every kernel at start-up, before it reports healthy (issue 20)."""

from __future__ import annotations

from tests.extras import require

require("fastapi")


def test_api_warms_up_before_it_serves(monkeypatch):
    from fastapi.testclient import TestClient

    from detente import service
    from detente.api.app import create_app

    calls = []
    real = service.warmup

    def spy(**kw):
        calls.append("warmup")
        return real(**kw)

    monkeypatch.setattr(service, "warmup", spy)
    app = create_app()
    assert calls == []                      # building the app compiles nothing
    with TestClient(app) as c:
        assert calls == ["warmup"]          # start-up finished only after the warmup
        r = c.get("/health")
        assert r.status_code == 200 and r.json()["status"] == "ok"
    assert calls == ["warmup"]
