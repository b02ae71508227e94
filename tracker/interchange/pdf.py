"""HTML to PDF with headless Chromium's print-to-PDF (a real layout engine).

Chromium, not WeasyPrint: the browser tests already need Debian's
``/usr/bin/chromium`` (``.ci/run`` installs it), it honours the report's
``@page`` size and margin boxes, and it adds no Python or system library
(WeasyPrint needs Pango and its fonts). The page is written to a private
temporary folder and printed from there with a throw-away profile; the
report has no external assets, so nothing is fetched.

``TRACKER_CHROMIUM`` names another binary; otherwise ``chromium``,
``chromium-browser``, ``google-chrome`` are looked up on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import PdfFailed

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120.0  # seconds; a long article prints in a few


def find_chromium() -> str:
    """The Chromium binary to print with, or :class:`PdfFailed` saying how to get one."""
    configured = os.environ.get("TRACKER_CHROMIUM", "").strip()
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise PdfFailed(f"TRACKER_CHROMIUM={configured!r} is not an executable program")
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfFailed(
        "PDF output needs Chromium, and none was found on PATH (looked for "
        f"{', '.join(CANDIDATES)}); install it (Debian: apt-get install chromium) or set "
        "TRACKER_CHROMIUM; `--format html` works without it"
    )


def html_to_pdf(html: str, *, chromium: str | None = None, timeout: float = TIMEOUT) -> bytes:
    """The PDF Chromium prints from ``html`` (paper size from the page's CSS ``@page``)."""
    binary = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="tracker-pdf-") as tmp:
        folder = Path(tmp)
        page, out = folder / "report.html", folder / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-pdf-header-footer",
            f"--user-data-dir={folder / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                command, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfFailed(f"{binary} did not finish printing the PDF in {timeout:g} s") from None
        except OSError as exc:
            raise PdfFailed(f"cannot run {binary}: {exc.strerror or exc}") from None
        if not out.exists() or out.stat().st_size == 0:
            said = result.stderr.decode("utf-8", "replace").strip().splitlines()
            last = said[-1] if said else f"exit status {result.returncode}"
            raise PdfFailed(f"{binary} produced no PDF: {last[:300]}")
        return out.read_bytes()
