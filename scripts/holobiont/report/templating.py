"""Jinja2 templates of the HTML reports: the shipped ones and a site's overrides.

The shipped templates live in ``holobiont/report/templates/``. A site sets ``report.template_dir`` to a
folder of its own: a template there replaces the shipped one of the same name (e.g.
``header.html.j2`` for a logo and address block, ``report.css`` for its colours), and a
template that only adds to the shipped one extends it as ``default/<name>``. Autoescaping is
on for every template; the SVG drawings, computed by Python, are passed as ``Markup``.

The document header (laboratory, accreditation, report ID, date, sign-off lines) is data of the
report JSON (``document``), made by :func:`document` from config ``report.site``; the date comes
from config ``report.date`` or ``SOURCE_DATE_EPOCH``, never from the clock, so a rerun writes
the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import jinja2
from markupsafe import Markup

TEMPLATES = Path(__file__).with_name("templates")
DISCLAIMER = "Research use: not a clinical diagnostic report."
#: The one script of a report page: opens every folded section before the browser prints.
PRINT_SCRIPT = (
    'addEventListener("beforeprint",function(){'
    'document.querySelectorAll("details").forEach(function(d){d.open=true})})'
)


def environment(template_dir: str | PathLike | None = None) -> jinja2.Environment:
    """Template environment: ``template_dir`` (a site's overrides) before the shipped folder."""
    loaders: list[jinja2.BaseLoader] = []
    if template_dir:
        if not Path(template_dir).is_dir():
            raise ValueError(
                f"config report.template_dir: {template_dir} is not a folder; set it to a folder "
                "of Jinja2 templates (see config/README.md) or to null"
            )
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    shipped = jinja2.FileSystemLoader(str(TEMPLATES))
    loaders.append(shipped)
    loaders.append(jinja2.PrefixLoader({"default": shipped}))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["print_script"] = Markup(PRINT_SCRIPT)
    env.filters["css_string"] = css_string
    return env


def css_string(text) -> Markup:
    """``text`` as a quoted CSS string (for ``content:`` in a stylesheet, where HTML escaping
    does not apply): every character but letters, digits, space and ``-_.:/`` as ``\\HEX``."""
    keep = " -_.:/"
    body = "".join(
        c if c.isascii() and (c.isalnum() or c in keep) else f"\\{ord(c):x} " for c in str(text)
    )
    return Markup(f'"{body}"')


def safe(func):
    """Wrap a function returning HTML made by our own escaping code (SVG) as ``Markup``."""

    def wrapped(*args, **kwargs):
        return Markup(func(*args, **kwargs))

    wrapped.__name__ = func.__name__
    wrapped.__doc__ = func.__doc__
    return wrapped


def report_date(date: str | None = None, environ: Mapping[str, str] | None = None) -> dict:
    """The report date and where it came from: config ``report.date`` (ISO ``YYYY-MM-DD``),
    else ``SOURCE_DATE_EPOCH`` (seconds, UTC), else none -- never the clock."""
    environ = os.environ if environ is None else environ
    if date:
        try:
            _dt.date.fromisoformat(str(date))
        except ValueError as err:
            raise ValueError(f"config report.date: {date!r} is not a YYYY-MM-DD date") from err
        return {"report_date": str(date), "date_source": "config report.date"}
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds")
        day = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
        return {"report_date": day, "date_source": "SOURCE_DATE_EPOCH"}
    return {"report_date": "", "date_source": "not set (config report.date or SOURCE_DATE_EPOCH)"}


def document(
    subject: str,
    site: Mapping | None = None,
    *,
    date: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict:
    """Header fields of one report (``subject``: the patient ID, or ``cohort``).

    ``site`` is config ``report.site``: ``laboratory``, ``accreditation``, ``sign_off`` (list
    of lines, e.g. "Reviewed by (clinical scientist)"), ``disclaimer`` and ``report_id``, a
    format string with ``{subject}`` and ``{date}`` (default ``HB-{subject}``).
    """
    site = dict(site or {})
    when = report_date(date, environ)
    fmt = site.get("report_id") or "HB-{subject}"
    try:
        report_id = fmt.format(subject=subject, date=when["report_date"].replace("-", ""))
    except (KeyError, IndexError) as err:
        raise ValueError(
            f"config report.site.report_id: {fmt!r} may use only {{subject}} and {{date}}"
        ) from err
    return {
        "report_id": report_id,
        **when,
        "laboratory": str(site.get("laboratory") or ""),
        "accreditation": str(site.get("accreditation") or ""),
        "sign_off": [str(s) for s in site.get("sign_off") or []],
        "disclaimer": str(site.get("disclaimer") or DISCLAIMER),
    }
