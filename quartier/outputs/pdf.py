"""Quarter profiles as PDF: each HTML page printed by a headless Chromium (A4, the page's own
print CSS), with a clear error when no browser is installed or it fails."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from quartier.io.outputs import OutputError, write_bytes_with

#: Seconds headless Chromium may take for one page.
PDF_TIMEOUT_S = 120


def _stderr_tail(data: bytes | str | None, lines: int = 5) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")
    tail = [ln.strip() for ln in text.strip().splitlines() if ln.strip()][-lines:]
    return " | ".join(tail)[-800:] or "nothing on stderr"


def print_pdf(pages: list[Path]) -> list[Path]:
    """PDF of each page through headless Chromium's print-to-PDF (where Chromium is installed;
    otherwise nothing). The PDF is written atomically beside the page. A Chromium that fails,
    hangs or writes no PDF is an :class:`~quartier.output.OutputError` naming the browser and
    the end of what it said (the HTML pages stay)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return []

    done = []
    for page in pages:
        target = page.with_suffix(".pdf")

        def render(tmp: Path, page: Path = page) -> None:
            fail = (f"{exe} (headless Chromium) could not print {page} to PDF")
            hint = ("the HTML profiles are written; repair or reinstall Chromium "
                    "(apt-get install chromium), or run without --pdf")
            with tempfile.TemporaryDirectory() as profile:
                try:
                    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                                    "--no-first-run", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync",
                                    f"--user-data-dir={profile}", "--no-pdf-header-footer",
                                    f"--print-to-pdf={tmp}", page.resolve().as_uri()],
                                   capture_output=True, timeout=PDF_TIMEOUT_S, check=True)
                except subprocess.CalledProcessError as exc:
                    raise OutputError(f"{fail} (exit code {exc.returncode}): "
                                      f"{_stderr_tail(exc.stderr)}; {hint}") from None
                except subprocess.TimeoutExpired as exc:
                    raise OutputError(f"{fail}: no answer within {PDF_TIMEOUT_S} s "
                                      f"({_stderr_tail(exc.stderr)}); {hint}") from None
                except OSError as exc:
                    raise OutputError(f"{fail}: it cannot be started ({exc.strerror}); "
                                      f"{hint}") from None
            if not tmp.exists() or tmp.stat().st_size == 0:
                raise OutputError(f"{fail}: it ended without error but wrote no PDF; {hint}")

        done.append(write_bytes_with(target, render))
    return done
