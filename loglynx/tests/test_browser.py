"""LogLynx in a real browser: the app served by `streamlit run` on a loopback port, loaded in headless Chromium
(Debian's chromium and chromium-driver) through Selenium. It waits for the page to render, finds no error element,
reads the Tasks KPI and compares it with the marts, then opens every section and saves a screenshot of each in
loglynx/screenshots/ (uploaded by CI).

Waits are conditions with generous deadlines, never fixed sleeps.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import duckdb
import pytest
import streamlit_app
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
DEADLINE = 90  # seconds: the longest any condition is waited for
ERROR_ELEMENTS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--window-size=1440,1600")


def executable(variable: str, *names: str) -> str:
    found = os.environ.get(variable) or next(filter(None, map(shutil.which, names)), None)
    if not found:
        pytest.fail(f"{names[0]} not found: apt-get install -y chromium chromium-driver (or set {variable})")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="module")
def app_url(demo_db):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            env={**os.environ, "LOGLYNX_DB": str(demo_db)}, stdout=log, stderr=subprocess.STDOUT)
        try:
            WebDriverWait(None, DEADLINE, poll_frequency=0.2).until(
                lambda _: server.poll() is not None or healthy(url))
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read().decode(errors='replace')}")
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = executable("LOGLYNX_CHROME", "chromium", "chromium-browser", "google-chrome")
    profile = tempfile.mkdtemp(prefix="loglynx-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=Service(executable("LOGLYNX_CHROMEDRIVER", "chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, condition, what: str):
    try:
        # Streamlit re-renders elements while a script runs: an element found a moment ago may be gone; look again
        return WebDriverWait(driver, DEADLINE, poll_frequency=0.2,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except WebDriverException as error:
        pytest.fail(f"timed out waiting for {what}: {error.msg}")


def settled(driver) -> bool:
    """The script run has finished: no 'Running…' status widget, and the KPI metrics are on the page."""
    running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
    return not any(element.is_displayed() for element in running) and bool(
        driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetricValue"]'))


def no_errors(driver) -> list[str]:
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, ERROR_ELEMENTS)]


def slug(section: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")


def test_the_app_renders_in_chromium_with_the_marts_tasks_and_a_screenshot_per_section(app_url, browser, demo_db):
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.get(app_url)
    wait_for(browser, settled, "the app to render its KPIs")
    assert no_errors(browser) == []

    metrics = {element.find_element(By.CSS_SELECTOR, '[data-testid="stMetricLabel"]').text:
               element.find_element(By.CSS_SELECTOR, '[data-testid="stMetricValue"]').text
               for element in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]')}
    with duckdb.connect(str(demo_db), read_only=True) as db:
        tasks, cost = db.execute("select sum(total_tasks), sum(total_maintenance_cost)"
                                 " from main_fts.fts__monthly_kpis").fetchone()
    assert metrics["Tasks"] == f"{tasks:,.0f}"
    assert metrics["Maintenance cost"] == f"${cost:,.0f}"
    browser.save_screenshot(str(SCREENSHOTS / "00-overview.png"))

    tabs = browser.find_elements(By.CSS_SELECTOR, 'button[role="tab"]')
    assert [tab.text for tab in tabs] == list(streamlit_app.SECTIONS)
    for number, (tab, section) in enumerate(zip(tabs, streamlit_app.SECTIONS, strict=True), start=1):
        tab.click()
        wait_for(browser, lambda _, tab=tab: tab.get_attribute("aria-selected") == "true", f"the {section} tab")
        panel = wait_for(browser, lambda driver: next(
            (panel for panel in driver.find_elements(By.CSS_SELECTOR, '[role="tabpanel"]') if panel.is_displayed()),
            None), f"the {section} panel")
        wait_for(browser, lambda _, panel=panel: panel.find_elements(By.CSS_SELECTOR, "h3"), f"{section}'s heading")
        charts = panel.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')
        if charts:  # Vega draws after the element appears
            wait_for(browser, lambda _, panel=panel: panel.find_elements(
                By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'),
                f"{section}'s chart to be drawn")
        assert no_errors(browser) == [], section
        browser.save_screenshot(str(SCREENSHOTS / f"{number:02d}-{slug(section)}.png"))
    assert len(list(SCREENSHOTS.glob("*.png"))) >= len(streamlit_app.SECTIONS) + 1
