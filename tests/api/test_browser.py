"""The web page in a real browser: Debian's Chromium, headless, driven by Playwright.

In CI (``CI`` set to a true value, as ``.ci/run`` runs) nothing is skipped: without Chromium or
the playwright package these tests FAIL and say what to install (``apt-get install -y
chromium``; ``pip install playwright``, in the ``dev`` extra). On a developer machine without
Debian's Chromium they skip with that reason, so the README's test command works on a fresh
machine. ``playwright install`` is never needed: the system Chromium is used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from detente import get_model, load_scenario
from tests.extras import require

CHROMIUM = os.environ.get("DETENTE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def base_url():
    require("fastapi")
    from detente.api.app import create_app
    from detente.api.server import running_server

    with running_server(create_app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        why = (f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
               "(or set DETENTE_CHROMIUM)")
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on"):
            pytest.fail(why + "; browser tests are never skipped in CI")
        pytest.skip(why)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install playwright (in the dev extra); "
                    "do not run `playwright install`, the system Chromium is used")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.requests_seen = []
    pg.on("request", lambda r: pg.requests_seen.append(r.url))
    pg.goto(base_url + "/")
    pg.wait_for_selector("body[data-ready='1']")
    yield pg
    outside = [u for u in pg.requests_seen if not u.startswith((base_url, "data:", "blob:"))]
    assert outside == [], f"the page fetched from outside the server: {outside}"
    ctx.close()


def _cell(page, model, issue):
    return page.locator(f"#fc-{model}-{issue}")


def test_edit_russias_territory_position_changes_the_forecast(page, tmp_path):
    page.select_option("#scenario-select", "alaska-2025")
    page.wait_for_selector("#pos-russia-territory")
    page.click("#run")
    cell = _cell(page, "weighted_mean", "territory")
    cell.wait_for()
    before = cell.inner_text()
    # Nash has no answer on Alaska's territory issue: the page says so, with the model's note
    assert _cell(page, "nash", "territory").inner_text() == "no answer"
    assert "nash: " in page.locator("#forecast-notes").text_content()

    pos = page.locator("#pos-russia-territory")
    assert pos.input_value() == "90"
    pos.fill("30")
    pos.press("Tab")
    page.click("#run")
    page.wait_for_function(
        "([id, old]) => { const e = document.getElementById(id); return e && e.textContent !== old; }",
        arg=["fc-weighted_mean-territory", before],
    )
    after = cell.inner_text()

    sc = load_scenario("alaska-2025")
    edited = sc.model_copy(update={"positions": [
        p.model_copy(update={"position": 30.0}) if (p.actor, p.issue) == ("russia", "territory") else p
        for p in sc.positions
    ]})
    k = sc.issue_ids.index("territory")
    old = get_model("weighted_mean").forecast(sc).outcome[k]
    new = get_model("weighted_mean").forecast(edited).outcome[k]
    assert float(before) == pytest.approx(old, abs=0.005)
    assert float(after) == pytest.approx(new, abs=0.005)
    assert float(after) < float(before)
    assert page.locator("#chart-territory svg circle.actor-dot").count() == 4
    shot = tmp_path / "page-after-edit.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_malformed_upload_shows_the_validation_message(page, tmp_path):
    page.set_input_files("#upload", files=[{
        "name": "broken.yaml", "mimeType": "application/yaml", "buffer": b"name: broken\nactors: [\n",
    }])
    msg = page.locator("#message.error")
    msg.wait_for()
    text = msg.inner_text()
    assert "The file was not accepted" in text
    assert "broken.yaml: line 3" in text and "malformed YAML" in text
    page.screenshot(path=str(tmp_path / "upload-error.png"))
    assert (tmp_path / "upload-error.png").exists()


def test_invalid_csv_value_is_located_by_row_and_field(page):
    csv = b"actor,issue,position,salience,power\nA,tax,10,0.5,1\nB,tax,90,1.7,2\n"
    page.set_input_files("#upload", files=[{"name": "tax.csv", "mimeType": "text/csv", "buffer": csv}])
    msg = page.locator("#message.error")
    msg.wait_for()
    text = msg.inner_text()
    assert "tax.csv" in text and "row 3" in text and "salience" in text and "1.7" in text


def test_upload_valid_csv_then_forecast(page):
    csv = b"actor,issue,position,salience,power\nA,tax,10,0.5,1\nB,tax,90,1,3\n"
    page.set_input_files("#upload", files=[{"name": "tax.csv", "mimeType": "text/csv", "buffer": csv}])
    page.wait_for_selector("#pos-B-tax")
    page.click("#run")
    cell = _cell(page, "weighted_median", "tax")
    cell.wait_for()
    assert cell.inner_text() == "90"  # B holds 3 of the 3.5 weight


def test_downloads_scenario_and_report(page):
    page.select_option("#scenario-select", "alaska-2025")
    page.wait_for_selector("#pos-usa-sanctions")
    sal = page.locator("#sal-usa-sanctions")
    sal.fill("0.25")
    sal.press("Tab")
    with page.expect_download() as dl:
        page.click("#download-scenario")
    data = json.loads(Path(dl.value.path()).read_text())
    sc = load_scenario(data)
    p = next(p for p in sc.positions if (p.actor, p.issue) == ("usa", "sanctions"))
    assert p.salience == 0.25
    with page.expect_download(timeout=120_000) as dl:
        page.click("#download-report")
    html = Path(dl.value.path()).read_text()
    assert dl.value.suggested_filename == "alaska-2025-report.html"
    assert html.startswith("<!DOCTYPE html>") and 'id="zone"' in html


# ---------------------------------------------------------------- the whole job on one page
def test_default_scenario_is_preselected_and_forecast(page):
    from detente import service

    assert page.locator("#scenario-select").input_value() == service.DEFAULTS.scenario
    _cell(page, "weighted_median", "territory").wait_for()
    assert page.locator("#pos-russia-territory").input_value() == "90"


def test_deal_probability_is_shown_or_not_available(page):
    from detente import service

    page.wait_for_selector("#deal-calibrated")
    text = page.locator("#deal-calibrated").inner_text()
    doc = service.deal_probability_document("alaska-2025")
    if not doc["available"]:
        assert "not available" in text
    else:
        assert f"{100 * doc['deal_probability']:.1f}".rstrip("0").rstrip(".") + "%" in text
    # the Monte Carlo and simulator panels beside it
    page.wait_for_selector("#deal-mc")
    page.wait_for_selector("#ended-by tr")
    shares = page.locator("#ended-by").inner_text()
    assert "walk-out by" in shares or "veto by" in shares or "deal" in shares
    assert page.locator("#hist-territory svg rect.bar").count() == 4


def test_whatif_edit_changes_the_forecast_and_shows_the_difference(page):
    cell = _cell(page, "weighted_median", "territory")
    cell.wait_for()
    before = float(cell.inner_text())
    page.locator("#pos-russia-territory").fill("30")
    page.locator("#pos-russia-territory").press("Tab")
    page.uncheck("#veto-ukraine")
    page.click("#run")
    diff = page.locator("#diff-weighted_median-territory")
    diff.wait_for()
    sc = load_scenario("alaska-2025")
    from detente import service

    w = service.compare(sc, ["russia.territory.position=30", "ukraine.veto=false"], ["weighted_median"])
    k = sc.issue_ids.index("territory")
    new = w.changed.forecasts[0].outcome[k]
    assert float(cell.inner_text()) == pytest.approx(new, abs=0.005)
    assert float(cell.inner_text()) != before
    assert diff.inner_text().strip() == "\u2212" + f"{abs(new - before):.2f}".rstrip("0").rstrip(".")
    notes = page.locator("#forecast-notes").text_content()
    assert "russia.territory.position: 90 -> 30" in notes and "ukraine.veto" in notes
    # the deal cards are drawn once Monte Carlo and the simulator are back (after the table)
    page.locator("#deal-calibrated", has_text="before the what-if").wait_for(timeout=120_000)


def test_timeline_renders_for_alaska(page):
    from detente import service

    page.wait_for_selector("#track-table tr.version")
    tr = service.track(service.load_track("alaska-2025"), ["weighted_mean"])
    assert page.locator("#track-table tr.version").count() == len(tr.runs)
    assert page.locator("#track-territory svg path.track-line").count() >= 1
    assert page.locator("#track-territory svg circle.outcome-dot").count() == 1


def test_error_is_shown_once_naming_actor_and_issue_and_clears_the_stale_scenario(page):
    _cell(page, "weighted_mean", "territory").wait_for()
    data = json.loads(load_scenario("alaska-2025").model_dump_json())
    k = next(i for i, p in enumerate(data["positions"]) if (p["actor"], p["issue"]) == ("russia", "sanctions"))
    data["positions"][k]["position"] = 300
    data["actors"][1]["name"] = "<b>Rus$ia</b> 100%"
    page.set_input_files("#upload", files=[{"name": "bad.json", "mimeType": "application/json",
                                            "buffer": json.dumps(data).encode()}])
    msg = page.locator("#message.error")
    msg.wait_for()
    text = msg.inner_text()
    assert "actor <b>Rus$ia</b> 100%, issue Sanctions on Russia" in text  # escaped, not markup
    assert f"positions[{k}]" not in text
    assert text.count("300") == 1  # once, not message and problem list both
    assert page.locator("#results").is_hidden() and page.locator("#editor").is_hidden()
    assert page.locator("#fc-weighted_mean-territory").count() == 0
    assert page.locator("#scenario-select").input_value() == ""


def test_page_is_usable_at_a_narrow_width(browser, base_url):
    ctx = browser.new_context(viewport={"width": 420, "height": 900})
    pg = ctx.new_page()
    pg.goto(base_url + "/")
    pg.wait_for_selector("#deal-calibrated", timeout=TIMEOUT_MS)
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 440, f"the page scrolls sideways at 420 px ({width} px wide)"
    assert pg.locator("#run").is_enabled()
    ctx.close()


def test_whatif_error_is_shown_once_and_clears_the_stale_forecast(page):
    _cell(page, "weighted_mean", "territory").wait_for()
    page.locator("#pos-russia-territory").fill("300")
    page.locator("#pos-russia-territory").press("Tab")
    page.click("#run")
    msg = page.locator("#message.error")
    msg.wait_for()
    text = msg.inner_text()
    assert "russia.territory" in text and "300" in text and "[0.0, 100.0]" in text
    assert text.count("outside issue") == 1
    assert page.locator("#results").is_hidden() and page.locator("#deal-section").is_hidden()
    assert page.locator("#editor").is_visible()  # the input stays, to be corrected
    page.locator("#pos-russia-territory").fill("90")
    page.locator("#pos-russia-territory").press("Tab")
    page.click("#run")
    _cell(page, "weighted_mean", "territory").wait_for()
    assert page.locator("#message.error").count() == 0
