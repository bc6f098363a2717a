"""The printable patient report: PDF by headless Chromium's ``--print-to-pdf``.

Why Chromium (not WeasyPrint): it is the engine the browser test already checks the reports in
(console, requests, overflow, now also in print emulation), so the PDF is what that test saw;
the print CSS (A4 page, no split table rows, repeated table headers) is Chromium's to honour;
and it is one Debian package (tools/install.sh), where WeasyPrint would be a second renderer
with its own CSS subset plus Pango from the system.

The page is rendered as its print variant (every ``<details>`` open) into a temporary file and
printed with the network pointed at a dead proxy (a report never loads anything) and without
Chromium's own header and footer (they would print the local file path and the clock). The
PDF's creation and modification dates and its document ID, which Chromium takes from the clock,
are rewritten in place (same byte length, so the cross-reference offsets stay valid): from the
report's own date, and a digest of the rest of the file, so that a rerun writes the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from os import PathLike
from pathlib import Path

from holobiont.atomic import write_bytes

Path_ = str | PathLike

#: Flags of a headless Chromium that prints offline and leaves nothing behind.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",
    "--no-pdf-header-footer",
)


class PdfError(RuntimeError):
    """Chromium is missing, or printed no PDF."""


def chromium_path() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise PdfError(
            "chromium is not installed, so the PDF reports cannot be printed: install it "
            "(tools/install.sh, or `apt-get install chromium`) or set config report.pdf: false"
        )
    return exe


_DATE = re.compile(rb"/(CreationDate|ModDate) ?\(D:([0-9]{14})([^)]*)\)")
_ID = re.compile(rb"/ID ?\[ ?<([0-9A-Fa-f]+)> ?<([0-9A-Fa-f]+)> ?\]")


def normalise(pdf: bytes, date: str = "") -> bytes:
    """Replace the clock-derived dates and document ID of a PDF by fixed values of the same
    length: ``date`` (``YYYY-MM-DD``; empty: 1970-01-01) and a SHA-256 of the rest."""
    day = _dt.date.fromisoformat(date) if date else _dt.date(1970, 1, 1)
    stamp = day.strftime("%Y%m%d").encode() + b"000000"

    def fix_date(m: re.Match) -> bytes:
        tail = m.group(3)
        fixed_tail = (b"Z" + b"0" * len(tail))[: len(tail)] if tail else b""
        return m.group(0)[: m.start(2) - m.start(0)] + stamp + fixed_tail + b")"

    out = _DATE.sub(fix_date, pdf)
    blanked = _ID.sub(b"/ID[]", out)
    digest = hashlib.sha256(blanked).hexdigest().upper().encode()

    def fix_id(m: re.Match) -> bytes:
        a, b = m.group(1), m.group(2)
        text = m.group(0)
        text = text.replace(a, (digest * 4)[: len(a)], 1)
        return text.replace(b, (digest[::-1] * 4)[: len(b)], 1) if b != a else text

    return _ID.sub(fix_id, out)


def print_pdf(html: str, pdf_out: Path_, *, date: str = "", timeout: float = 180) -> None:
    """Print one HTML page (its text) to ``pdf_out`` with headless Chromium."""
    exe = chromium_path()
    with tempfile.TemporaryDirectory(prefix="holobiont-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as err:
            raise PdfError(f"chromium did not print {pdf_out} within {timeout:.0f} s") from err
        if not out.is_file() or not out.read_bytes().startswith(b"%PDF"):
            raise PdfError(
                f"chromium printed no PDF for {pdf_out} (exit {res.returncode}): "
                f"{res.stderr.strip()[-800:]}"
            )
        write_bytes(pdf_out, normalise(out.read_bytes(), date))


def write_patient_pdf(
    report_json: Path_, pdf_out: Path_, *, template_dir: Path_ | None = None
) -> None:
    """The PDF of one patient report: its print variant (folded sections open), printed."""
    from holobiont.report.patient import render_html

    report = json.loads(Path(report_json).read_text(encoding="utf-8"))
    html = render_html(report, template_dir=template_dir, print_variant=True)
    print_pdf(html, pdf_out, date=report["document"]["report_date"])


def pdf_text(pdf: Path_) -> str:
    """Text of a PDF in reading order (poppler's ``pdftotext``), for tests and checks.

    Not ``-layout``: that mode interleaves the lines of a table's neighbouring cells, so a
    name that wraps inside a cell ("peginterferon / alfa-2a") is split by other text.
    """
    res = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return res.stdout


def pdf_pages(pdf: Path_) -> int:
    """Page count of a PDF (poppler's ``pdfinfo``)."""
    res = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", res.stdout, flags=re.M).group(1))
