"""Start-up stays light: the command line imports no heavy package until a command needs it.

Heavy packages are declared lazily (``lazy_loader``): a lazy module sits in ``sys.modules`` as a
proxy until its first attribute is used, so "imported" below means loaded, not merely declared.
"""

from __future__ import annotations

import subprocess
import sys

#: Packages that take from a fraction of a second to several seconds to import.
HEAVY = ("altair", "nbconvert", "papermill", "openpyxl", "scipy.stats")

#: Prints the heavy modules actually loaded (a lazy proxy not yet used does not count).
LOADED = (
    "import importlib.util; "
    f"print(sorted(m for m in {HEAVY!r} if m in sys.modules "
    "and not isinstance(sys.modules[m], importlib.util._LazyModule)))"
)


def loaded_after(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_importing_the_command_line_loads_nothing_heavy():
    assert loaded_after(f"import sys; import aibm_core.batch.cli; {LOADED}") == "[]"


def test_aibm_version_loads_nothing_heavy():
    code = (
        "import sys; from aibm_core.batch import cli\n"
        "try:\n"
        "    cli.main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"{LOADED}"
    )
    assert loaded_after(code) == "[]"
