"""Every path the workbook uses, in one place."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
#: Where a built package (a wheel) carries the shipped scenarios: ``parameters/`` copied by ``setup.py``.
PACKAGED_PARAMETERS = "shipped_parameters"


def shipped_parameters_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """The folder of the shipped scenarios: ``parameters/`` of a checkout, else the installed copy.

    A checkout (or an editable install) has ``parameters/`` beside ``pyproject.toml`` above the
    package; an installed wheel has only the copy inside the package
    (``aibm_core/shipped_parameters``), which a Dask worker or a notebook run outside the checkout
    then reads (the seed example, the base scenario).

    Parameters
    ----------
    package_dir
        The ``aibm_core`` folder (a parameter for tests).
    """
    root = Path(package_dir).parent
    checkout = root / "parameters"
    if (root / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return Path(package_dir) / PACKAGED_PARAMETERS


PARAMETERS_DIR = shipped_parameters_dir()
OUTPUTS_DIR = ROOT / "outputs"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
#: Environment variable that makes charts live widgets (JupyterLab, Voila); batch runs clear it.
LIVE_ENV = "AIBM_LIVE"

#: Scenario folders shipped under ``parameters/``, in report order: the central case, its upside
#: and downside, the seeds' worked examples, then the seeds' risk scenarios (each overlays base).
SHIPPED_SCENARIOS = (
    "base",
    "bull",
    "bear",
    "seed",
    "commoditization",
    "overcapacity",
    "obsolescence",
    "open_source_disruption",
    "regulation",
    "power_constraint",
)


def scenario_order(name: str) -> tuple[int, str]:
    """Sort key: shipped scenarios in their order, then any others alphabetically."""
    shipped = SHIPPED_SCENARIOS.index(name) if name in SHIPPED_SCENARIOS else len(SHIPPED_SCENARIOS)
    return shipped, name


#: Average days in a month (365.25 / 12), for per-day figures.
DAYS_PER_MONTH = 365.25 / 12
