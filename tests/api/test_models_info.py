"""GET /models carries each model's one-line description and short label, as `detente models`."""

from detente import service


def test_models_endpoint_describes_every_model(client):
    body = client.get("/models").json()
    want = {m["name"]: m for m in service.catalogue()}
    assert [m["name"] for m in body] == list(want)
    for m in body:
        assert m["description"] == want[m["name"]]["description"] != ""
        assert m["label"] == service.model_label(m["name"])
