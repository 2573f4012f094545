"""Open a page in headless Chromium (Debian's package): console errors, final DOM, screenshot."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,900", "--virtual-time-budget=10000"]
CONSOLE = re.compile(r"INFO:CONSOLE[^\]]*\] \"(.*)\", source: (.*)$")
#: Offline, background tiles cannot load: a network failure, not an error of the page.
NETWORK = ("Failed to load resource", "net::ERR_")


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise RuntimeError("Chromium is not installed: `apt-get install chromium` "
                           "(make test and .ci/run do this)")
    return exe


def open_page(path: Path, screenshot: Path) -> tuple[list[str], str]:
    """(JavaScript console errors, DOM after scripts ran); writes a PNG screenshot."""
    url = path.resolve().as_uri()
    with tempfile.TemporaryDirectory() as profile:
        shot = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
             f"--screenshot={screenshot}", url], capture_output=True, text=True, timeout=120)
    errors = []
    for line in shot.stderr.splitlines():
        m = CONSOLE.search(line)
        if m and not any(n in m.group(1) for n in NETWORK):
            errors.append(m.group(1))
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120).stdout
    return errors, dom


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
