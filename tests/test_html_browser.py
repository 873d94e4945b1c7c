"""The HTML report in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`,
installed by .ci/run) driven by selenium, one browser for the module. The page loads with no
console error and no network request, a hostile name runs nothing, the filters change the rows
shown, a candidate opens to its findings, the print layout is A4 with the findings shown, a
screenshot is not blank, and the page the browser built has the golden structure.

Without a local Chromium and ChromeDriver these tests are skipped with the reason; under CI
(CI set) a missing browser is a failure, never a silent pass. Set VETTING_SCREENSHOTS=folder to
keep the screenshots (the README's come from here)."""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

import pytest
from html_outline import outline
from test_html_report import GOLDEN, SCRIPT_NAME, hostile_result

from conftest import FIXTURES
from vetting.cli import cli
from vetting.reports.html_report import format_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
#: Flags that keep a headless Chromium off the network and quiet on a closed machine.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--window-size=1200,900", "--lang=zh-CN")
#: The browser's own pages (its new-tab page loading late on a busy machine), never the report's; only requests
#: made for the report's own document count (a late internal page once asked for a data: image).
BROWSER_OWN = ("chrome://", "chrome-untrusted://", "devtools://")


def _find(names: tuple[str, ...]) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module, logging console messages and network events."""
    chromium, driver_path = _find(BROWSERS), _find(DRIVERS)
    if not (chromium and driver_path):
        reason = f"no local browser for the HTML report tests (chromium: {chromium}, chromedriver: {driver_path}); " \
                 "install Debian's chromium and chromium-driver (see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("a browser is here but selenium is not: pip install '.[test]'")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The demo roster's report as `vet run --format html` writes it, and a report of hostile names."""
    from click.testing import CliRunner
    folder = tmp_path_factory.mktemp("pages")
    demo = folder / "demo.html"
    done = CliRunner().invoke(cli, ["run", str(FIXTURES / "demo_roster.xlsx"), "--as-of", "2026-12-15",
                                    "-o", str(demo), "--no-history"])
    assert done.exit_code == 0, done.output
    hostile = folder / "hostile.html"
    hostile.write_bytes(format_html(hostile_result()))
    return {"demo": demo, "hostile": hostile}


def load(browser, path: Path) -> dict:
    """Open a page and return what it logged and asked for while loading."""
    browser.get_log("browser"), browser.get_log("performance")
    browser.get(path.as_uri())
    requests = [m["message"] for m in (_json(e["message"]) for e in browser.get_log("performance"))
                if m["message"]["method"] == "Network.requestWillBeSent"
                and not m["message"]["params"]["request"]["url"].startswith(BROWSER_OWN)
                and m["message"]["params"].get("documentURL", path.as_uri()) == path.as_uri()]
    return {"console": browser.get_log("browser"), "urls": [r["params"]["request"]["url"] for r in requests],
            "resources": browser.execute_script("return performance.getEntriesByType('resource').length")}


def _json(text: str) -> dict:
    import json
    return json.loads(text)


@pytest.mark.parametrize("page", ["demo", "hostile"])
def test_page_loads_with_no_console_error_and_no_request(browser, pages, page):
    seen = load(browser, pages[page])
    assert [e for e in seen["console"] if e["level"] in ("SEVERE", "WARNING")] == []
    assert seen["urls"] in ([], [pages[page].as_uri()]), "nothing but the page itself is requested"
    assert seen["resources"] == 0
    assert browser.find_element("id", "shown-count").text == str(len(browser.find_elements("css selector", "tr.cand")))


def test_a_hostile_name_is_shown_as_text_and_runs_nothing(browser, pages):
    load(browser, pages["hostile"])
    names = [row.find_elements("tag name", "td")[1].text for row in browser.find_elements("css selector", "tr.cand")]
    assert SCRIPT_NAME in names
    assert browser.execute_script("return document.scripts.length") == 1
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0


def _shown(browser) -> tuple[int, int]:
    count = int(browser.find_element("id", "shown-count").text)
    visible = browser.execute_script("return document.querySelectorAll('tr.cand:not([hidden])').length")
    return count, visible


def _choose(browser, select_id: str, label: str) -> None:
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element("id", select_id)).select_by_visible_text(label)


def test_filters_change_the_rows_shown(browser, pages):
    load(browser, pages["demo"])
    assert _shown(browser) == (27, 27)
    _choose(browser, "f-verdict", "通过")
    assert _shown(browser) == (8, 8)
    _choose(browser, "f-township", "双沙镇")
    assert _shown(browser) == (2, 2)
    hidden_groups = browser.execute_script("return document.querySelectorAll('tbody.village[hidden]').length")
    assert hidden_groups == 2, "villages with no row left are hidden"
    browser.find_element("id", "f-reset").click()
    _choose(browser, "f-rule", "D01 党纪处分影响期未满")
    assert _shown(browser) == (1, 1)
    browser.find_element("id", "f-reset").click()
    browser.find_element("id", "f-search").send_keys("红岩")
    assert _shown(browser) == (9, 9)
    browser.find_element("id", "f-reset").click()
    assert _shown(browser) == (27, 27)


def test_a_candidate_opens_to_its_findings(browser, pages):
    load(browser, pages["demo"])
    row = next(r for r in browser.find_elements("css selector", "tr.cand") if "黄婷" in r.text)
    detail = browser.find_element("id", "d-" + row.get_attribute("data-id"))
    assert not detail.is_displayed()
    row.click()
    assert detail.is_displayed() and row.get_attribute("aria-expanded") == "true"
    cells = [td.text for td in detail.find_elements("css selector", "table.findings tbody td")]
    assert cells[0] == "D01" and "至2027-04-08届满" in cells[3]
    assert "党纪处分日期" in cells[4] and "纪律处分条例" in cells[5], "reason, evidence and basis"
    row.click()
    assert not detail.is_displayed()


def test_print_layout_is_a4_with_findings_and_a_page_per_village(browser, pages):
    load(browser, pages["demo"])
    browser.find_element("id", "opt-page").click()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        style = browser.execute_script(
            "var s = function (q, p) { return getComputedStyle(document.querySelector(q))[p]; };"
            "return [s('tr.detail', 'display'), s('.filters', 'display'),"
            "        s('tbody.village + tbody.village', 'breakBefore')];")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert style == ["table-row", "none", "page"]
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    sizes = {tuple(round(float(x)) for x in m) for m in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)}
    assert sizes and all(abs(w - 595) <= 2 and abs(h - 842) <= 2 for w, h in sizes), sizes


def test_a_screenshot_is_not_blank(browser, pages):
    load(browser, pages["demo"])
    shot = browser.find_element("id", "summary").screenshot_as_png
    keep = os.environ.get("VETTING_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        browser.set_window_size(1000, 1000)
        (Path(keep) / "html_summary.png").write_bytes(browser.get_screenshot_as_png())
        browser.set_window_size(1200, 900)
    stats = browser.execute_async_script(
        "var done = arguments[1], img = new Image();"
        "img.onload = function () { var c = document.createElement('canvas'); c.width = img.width; c.height = img.height;"
        "  var g = c.getContext('2d'); g.drawImage(img, 0, 0); var d = g.getImageData(0, 0, c.width, c.height).data;"
        "  var colours = {}, ink = 0; for (var i = 0; i < d.length; i += 4) {"
        "    colours[(d[i] << 16) | (d[i + 1] << 8) | d[i + 2]] = 1; if (d[i] + d[i + 1] + d[i + 2] < 600) { ink += 1; } }"
        "  done([c.width, c.height, Object.keys(colours).length, ink / (d.length / 4)]); };"
        "img.src = 'data:image/png;base64,' + arguments[0];", base64.b64encode(shot).decode())
    width, height, colours, ink = stats
    assert width > 600 and height > 150
    assert colours > 20 and 0.01 < ink < 0.9, stats


def test_the_page_the_browser_built_has_the_golden_structure(browser, pages):
    load(browser, pages["demo"])
    built = browser.execute_script("return document.documentElement.outerHTML")
    assert outline(built) == GOLDEN.read_text(encoding="utf-8").splitlines()


def test_a_request_the_page_makes_is_seen(browser, tmp_path):
    """The request filter keeps what a page itself asks for (else the tests above would prove nothing)."""
    page = tmp_path / "asks.html"
    page.write_text('<!doctype html><meta charset="utf-8"><img src="http://127.0.0.1:9/x.png">', encoding="utf-8")
    assert "http://127.0.0.1:9/x.png" in load(browser, page)["urls"]
