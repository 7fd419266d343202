"""Browser fixtures: headless Debian Chromium driven by Playwright, against pytest-django's live server.

Screenshots go to tests/e2e/screenshots/ (git-ignored) for people reviewing a change.
axe-core (from node_modules) runs inside the page to report accessibility violations.
Every page any browser test opens is watched for Content-Security-Policy violations (Chromium
reports each on the console): a test that met one fails (#20.10).
"""

import os
import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1366, "height": 900}}


# Under CI and `make test` the browser tests must run: a missing Chromium fails them instead of skipping.
BROWSER_REQUIRED = bool(os.environ.get("CI") or os.environ.get("KRINGLOOP_REQUIRE_BROWSER"))
MISSING = f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does)"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or BROWSER_REQUIRED:
        return
    skip = pytest.mark.skip(reason=f"{MISSING}; set CI or KRINGLOOP_REQUIRE_BROWSER=1 to fail instead")
    for item in items:
        if "e2e" in item.nodeid:
            item.add_marker(skip)


CSP_VIOLATIONS: list[str] = []


def _watch(page) -> None:
    def console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{page.url}: {message.text}")

    page.on("console", console)


def _watched(browser):
    """Every page of every context the tests open reports its CSP violations to CSP_VIOLATIONS."""
    new_context, new_page = browser.new_context, browser.new_page

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on("page", _watch)
        return context

    def watched_page(*args, **kwargs):
        page = new_page(*args, **kwargs)
        _watch(page)
        return page

    browser.new_context, browser.new_page = watched_context, watched_page
    return browser


@pytest.fixture(autouse=True)
def no_csp_violations():
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == [], "Content-Security-Policy violations:\n" + "\n".join(CSP_VIOLATIONS)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(MISSING, pytrace=False)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield _watched(browser)
        browser.close()


def _page(browser, options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


# The elements inside <main> that stick out past the screen's right edge (tables that scroll and
# <pre> may), for the checks that a page fits a phone.
OVERFLOW = """() => [...document.querySelectorAll('main *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !el.closest('.table-responsive, pre');
}).map(el => el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40)).slice(0, 5)"""
DEVICES = {"laptop": LAPTOP, "phone": PHONE}


@pytest.fixture(params=list(DEVICES))
def device(request, browser):
    """(name, page): the test runs once on a laptop and once on a phone."""
    context, page = _page(browser, DEVICES[request.param])
    yield request.param, page
    context.close()


@pytest.fixture
def laptop(browser):
    context, page = _page(browser, LAPTOP)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context, page = _page(browser, PHONE)
    yield page
    context.close()


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; return the violations of the given impacts."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # not a <script> tag: the page's CSP allows none inline
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def login(page, server, username: str, password: str = "pw-for-tests") -> None:
    """Log in through the login form; `server` is the live server or its URL."""
    page.goto(f"{getattr(server, 'url', server)}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def wait_for_js(page, expression: str, timeout: float = 15.0) -> None:
    """Wait until a JavaScript expression is truthy in the page. Playwright's wait_for_function
    polls through eval inside the page, which our Content-Security-Policy (rightly) refuses, so
    poll with evaluate() instead, which runs outside the page's policy."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {expression}")
        page.wait_for_timeout(100)
