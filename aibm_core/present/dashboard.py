"""Live sessions: the notebooks as Voila dashboards (``aibm dashboard``) and in JupyterLab (``make lab``).

Both start a server whose kernels see ``AIBM_LIVE=1`` (kernels inherit the server's
environment), so charts are interactive and the what-if panels recompute as sliders move.
Nothing is fetched from outside the machine: Voila uses the ``aibm`` template shipped in
``templates/jupyter`` (Voila's lab template without the icon-font stylesheet it links from a
CDN), and JupyterLab starts with its news and update checks off.

Run ``python -m aibm_core.present.dashboard lab [FOLDER]`` for JupyterLab (what ``make lab`` does).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from aibm_core.core.config import LIVE_ENV, NOTEBOOKS_DIR, TEMPLATES_DIR
from aibm_core.core.params import ParameterError, Problem

#: Root of the Jupyter data files shipped with the package (``voila/templates/aibm``).
JUPYTER_DATA = TEMPLATES_DIR / "jupyter"
#: Jupyter configuration shipped with the package: JupyterLab without its news pop-up.
JUPYTER_CONFIG = TEMPLATES_DIR / "jupyter_config"
#: Voila template serving the dashboards.
VOILA_TEMPLATE = "aibm"
#: Port Voila listens on unless told otherwise (Voila's own default).
DEFAULT_PORT = 8866
#: Only this machine can reach the servers.
HOST = "127.0.0.1"


def live_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of a live server: ``AIBM_LIVE=1``, the shipped Jupyter data and configuration first.

    Parameters
    ----------
    base
        Environment to extend (default: this process's).
    """
    env = dict(os.environ if base is None else base)
    env[LIVE_ENV] = "1"
    for name, folder in (("JUPYTER_PATH", JUPYTER_DATA), ("JUPYTER_CONFIG_PATH", JUPYTER_CONFIG)):
        env[name] = os.pathsep.join(p for p in (str(folder), env.get(name, "")) if p)
    return env


def dashboard_target(model: str | None, notebooks: Path = NOTEBOOKS_DIR) -> Path:
    """The notebook of ``model`` in ``notebooks``, or the folder itself when no model is given.

    Raises
    ------
    ParameterError
        ``model`` has no notebook; the message lists the notebooks there are.
    """
    if model is None:
        return notebooks
    available = sorted(p.stem for p in notebooks.glob("*.ipynb"))
    if model not in available:
        raise ParameterError(
            [Problem("", "MODEL", f"unknown model {model!r}; available: {', '.join(available)}")]
        )
    return notebooks / f"{model}.ipynb"


def check_port(port: int) -> int:
    """``port`` if it is a TCP port number (1-65535); otherwise a :class:`ParameterError`."""
    if not 1 <= port <= 65535:
        raise ParameterError([Problem("", "--port", f"value {port} is not allowed; expected 1 to 65535")])
    return port


def voila_command(target: Path, port: int = DEFAULT_PORT, open_browser: bool = True) -> list[str]:
    """Command serving ``target`` (a notebook, or a folder of them) with Voila on ``HOST:port``.

    Code cells are hidden and widgets live; run it with :func:`live_environment`.
    """
    command = [
        sys.executable,
        "-m",
        "voila",
        str(target),
        f"--port={check_port(port)}",
        f"--template={VOILA_TEMPLATE}",
        f"--Voila.ip={HOST}",
    ]
    return command if open_browser else [*command, "--no-browser"]


def lab_command(
    folder: Path = NOTEBOOKS_DIR, port: int | None = None, open_browser: bool = True
) -> list[str]:
    """Command starting JupyterLab on ``folder`` with no outside requests (as root too).

    Parameters
    ----------
    folder
        Folder JupyterLab opens on.
    port
        TCP port (default: JupyterLab's choice, 8888 or the next free one).
    open_browser
        Open a browser tab once the server is up.
    """
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        str(folder),
        f"--ServerApp.ip={HOST}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if port is not None:
        command.append(f"--ServerApp.port={check_port(port)}")
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "getuid") and os.getuid() == 0:  # Jupyter refuses root unless told
        command.append("--allow-root")
    return command


def trust_command(notebooks: Sequence[Path]) -> list[str]:
    """Command marking notebooks trusted (``jupyter trust``), so JupyterLab renders their stored charts."""
    return [sys.executable, "-m", "nbformat.sign", *map(str, notebooks)]


def serve(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run a server in place of this process (POSIX), or as a child elsewhere; its exit status."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(command[0], list(command), dict(env))  # Ctrl-C then reaches the server directly
    return subprocess.call(list(command), env=dict(env))


def lab(folder: Path = NOTEBOOKS_DIR, port: int | None = None, open_browser: bool = True) -> int:
    """Trust the notebooks in ``folder``, then start JupyterLab on it in live mode."""
    notebooks = sorted(folder.glob("*.ipynb"))
    if notebooks:
        subprocess.run(trust_command(notebooks), check=True, env=live_environment())
    return serve(lab_command(folder, port, open_browser), live_environment())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m aibm_core.present.dashboard lab [FOLDER] [--port N] [--no-browser]``."""
    parser = argparse.ArgumentParser(
        prog="python -m aibm_core.present.dashboard", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    start = sub.add_parser("lab", help="trust the notebooks and start JupyterLab on them, charts live")
    start.add_argument("folder", nargs="?", type=Path, default=NOTEBOOKS_DIR, help="default: notebooks/")
    start.add_argument("--port", type=int, default=None, metavar="N", help="TCP port (default: 8888 or next)")
    start.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: {args.folder}: no such folder", file=sys.stderr)
        return 2
    try:
        return lab(args.folder, args.port, not args.no_browser)
    except ParameterError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
