"""Where the committed data tables live: the repository checkout, or the installed share dir.

The package reads a few committed tables (the PGx catalog ``resources/pgx``, the demo inputs
``resources/demo``, the genome-build table ``resources/genome_builds``). Run from the repository
(``PYTHONPATH=scripts``, or ``pip install -e .``) they are read from ``<repo>/resources``; a wheel
(``pip install .``) installs copies under ``<prefix>/share/holobiont/resources`` (the
``data-files`` of pyproject.toml), which are used when no checkout is beside the package.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: ``<repo>/resources`` when the package is imported from a checkout (scripts/holobiont).
REPO_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def resource_dir(name: str) -> Path:
    """Directory ``resources/<name>``: the checkout's if present, else the installed copy.

    When neither exists the checkout path is returned, so that the caller's error names it.

    Examples
    --------
    >>> resource_dir("pgx").name
    'pgx'
    """
    repo = REPO_RESOURCES / name
    if repo.is_dir():
        return repo
    installed = Path(sys.prefix) / "share" / "holobiont" / "resources" / name
    return installed if installed.is_dir() else repo
