"""Open a page in headless Chromium (Debian's package): console errors, final DOM, screenshot."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

#: Screenshots of the browser tests: outside the repository (QUARTIER_SCREENSHOTS to keep them
#: somewhere to look at).
SCREENSHOTS = Path(os.environ.get("QUARTIER_SCREENSHOTS")
                   or Path(tempfile.gettempdir()) / "quartier_screenshots")

#: Offline, background tiles cannot load: a network failure, not an error of the page.
NETWORK = ("Failed to load resource", "net::ERR_")


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise RuntimeError("Chromium is not installed: `apt-get install chromium` "
                           "(make test and .ci/run do this)")
    return exe


def open_page(path: Path, screenshot: Path) -> tuple[list[str], str]:
    """(JavaScript console errors and uncaught exceptions, DOM after scripts ran); writes a PNG
    screenshot. One Chromium per test worker, a fresh context per page."""
    context = shared_browser().new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        problems = watch(page)
        page.goto(path.resolve().as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_timeout(300)  # timers the page set on load
        page.screenshot(path=str(screenshot))
        dom = page.content()
    finally:
        context.close()
    return [e for e in problems if not any(n in e for n in NETWORK)], dom


_BROWSER: dict = {}


def shared_browser():
    if "browser" not in _BROWSER:
        import atexit

        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _BROWSER["browser"] = launch(playwright)
        atexit.register(playwright.stop)
        atexit.register(_BROWSER["browser"].close)
    return _BROWSER["browser"]


#: Chromium flags for Playwright: the machine has no network, so nothing in the background
PLAYWRIGHT_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch(playwright):
    """Debian's Chromium driven by Playwright (no browser download)."""
    return playwright.chromium.launch(executable_path=chromium(), args=PLAYWRIGHT_ARGS)


def watch(page) -> list[str]:
    """Collect console errors, uncaught exceptions and dialogs (alert() from data) of a page."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))

    def dialog(d):
        problems.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    return problems
