"""Live sessions: the notebooks as Voila dashboards (``aibm dashboard``) and in JupyterLab (``make lab``).

Both start a server whose kernels see ``AIBM_LIVE=1`` (kernels inherit the server's
environment), so charts are interactive and the what-if panels recompute as sliders move.

Both are guarded as JupyterLab is by default: they listen on 127.0.0.1 only, every page needs
the server's token (in the URL printed at start, then a cookie), and a request whose ``Host``
header names another machine is refused (a web page elsewhere cannot reach the server through
a DNS name it rebinds to 127.0.0.1). Voila starts a kernel for every page it serves; a kernel no
page is connected to is shut down after :data:`KERNEL_IDLE_SECONDS` idle, so reloads and
requests that never open the page do not pile up kernels.
Nothing is fetched from outside the machine: Voila uses the ``aibm`` template shipped in
``templates/jupyter`` (Voila's lab template without the icon-font stylesheet it links from a
CDN), and JupyterLab starts with its news and update checks off.

Run ``python -m aibm_core.present.dashboard lab [FOLDER]`` for JupyterLab (what ``make lab`` does).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import webbrowser
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aibm_core.analysis.scenarios import available_scenarios, scenario_files, scenario_models, scenario_values
from aibm_core.core.config import LIVE_ENV, NOTEBOOKS_DIR, PARAMETERS_DIR, TEMPLATES_DIR
from aibm_core.core.params import ParameterError, Problem, validate
from aibm_core.core.yaml_loading import echo
from aibm_core.models import get_model

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
#: Environment variable holding a server's token (Jupyter's own; set it to choose the token).
TOKEN_ENV = "JUPYTER_TOKEN"
#: Seconds a dashboard kernel may stay idle with no page connected before it is shut down.
KERNEL_IDLE_SECONDS = 120
#: Seconds between two looks for idle kernels (at most).
CULL_INTERVAL_SECONDS = 30
#: Longest wait (s) for a server to listen before the browser is opened anyway.
LISTEN_SECONDS = 60


def live_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of a live server: ``AIBM_LIVE=1``, the shipped Jupyter data and configuration first.

    The shipped configuration (``templates/jupyter_config/voila.json``) makes Voila refuse a
    foreign ``Host`` header, as JupyterLab does by default.

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
            [Problem("", "MODEL", f"unknown model {echo(model)}; expected one of: {', '.join(available)}")]
        )
    return notebooks / f"{model}.ipynb"


#: The notebook comparing a scenario's models (takes only the scenario and the parameters folder).
PYRAMID = "pyramid_comparison"


def scenario_parameters(
    notebook: str, scenario: str, parameters_dir: Path = PARAMETERS_DIR
) -> dict[str, Any]:
    """The parameters a notebook gets under ``scenario``, as ``aibm run`` gives them (validated).

    A model notebook gets the model's resolved values (each file of the overlay chain laid over
    the one before), the scenario's name and the parameters folder; the pyramid comparison gets
    the name and the folder.

    Raises
    ------
    ParameterError
        An unknown scenario, a scenario without the model, or values that do not validate.
    """
    folder = Path(parameters_dir)
    if not folder.is_dir():
        raise ParameterError([Problem(str(folder), "--parameters", "no such parameters folder")])
    known = available_scenarios(folder)
    if scenario not in known:
        why = f"unknown scenario {echo(scenario)}; expected one of: {', '.join(known) or '(none)'}"
        raise ParameterError([Problem("", "--scenario", why)])
    settings = {"scenario": scenario, "parameters_dir": str(folder.resolve())}
    if notebook == PYRAMID:
        return settings
    if notebook not in scenario_models(folder, scenario, [notebook]):
        why = f"scenario {scenario!r} has no parameters for model {notebook!r}"
        raise ParameterError([Problem(str(folder / scenario), "", why)])
    values = scenario_values(folder, scenario, notebook)
    validate(get_model(notebook).params, values, source=str(scenario_files(folder, scenario, notebook)[-1]))
    return {**values, **settings}


def scenario_target(target: Path, scenario: str, parameters_dir: Path = PARAMETERS_DIR) -> Path:
    """Copies of the notebook(s) at ``target`` with ``scenario``'s parameters injected, not run.

    Each notebook gets papermill's ``injected-parameters`` cell after its ``parameters`` cell
    (:func:`scenario_parameters`; papermill's ``parameterize_notebook``, no kernel started) and
    is written to a new temporary folder, which Voila then serves: the dashboard computes the
    scenario's figures and its summary names the scenario. For a folder, every model notebook
    whose model the scenario has, and the pyramid comparison, are copied.

    Returns
    -------
    Path
        The copied notebook (``target`` a notebook) or the folder of copies.

    Raises
    ------
    ParameterError
        As :func:`scenario_parameters`; nothing is written.
    """
    import nbformat  # seconds to import: only a scenario's dashboard needs them
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    target = Path(target)
    if target.is_dir():
        scenario_parameters(PYRAMID, scenario, parameters_dir)  # an unknown scenario: said first
        present = set(scenario_models(Path(parameters_dir), scenario))
        found = sorted(target.glob("*.ipynb"))
        sources = {p.stem: p for p in found if p.stem in present or p.stem == PYRAMID}
    else:
        sources = {target.stem: target}
    parameters = {name: scenario_parameters(name, scenario, parameters_dir) for name in sources}
    out = Path(tempfile.mkdtemp(prefix=f"aibm-dashboard-{scenario[:40]}-"))
    for name, source in sources.items():
        notebook = load_notebook_node(str(source))  # every cell given its tags, as papermill needs
        notebook = parameterize_notebook(notebook, parameters[name], report_mode=False)
        nbformat.write(notebook, out / source.name)
    return out if target.is_dir() else out / target.name


def check_port(port: int) -> int:
    """``port`` if it is a TCP port number (1-65535); otherwise a :class:`ParameterError`."""
    if not 1 <= port <= 65535:
        raise ParameterError([Problem("", "--port", f"value {port} is not allowed; expected 1 to 65535")])
    return port


def voila_command(
    target: Path, port: int = DEFAULT_PORT, idle_seconds: float = KERNEL_IDLE_SECONDS
) -> list[str]:
    """Command serving ``target`` (a notebook, or a folder of them) with Voila on ``HOST:port``.

    Code cells are hidden and widgets live; run it with :func:`live_environment`, whose token
    every page then needs. Voila opens no browser (:func:`serve` opens the URL with the token)
    and does not move to another port when ``port`` is taken (it stops: the printed URL stays
    right). A kernel idle for ``idle_seconds`` with no page connected is shut down.
    """
    idle = max(1, round(idle_seconds))
    return [
        sys.executable,
        "-m",
        "voila",
        str(target),
        f"--port={check_port(port)}",
        "--Voila.port_retries=0",
        f"--template={VOILA_TEMPLATE}",
        f"--Voila.ip={HOST}",
        "--Voila.auto_token=True",  # the token of TOKEN_ENV; without it Voila asks none
        "--no-browser",
        f"--MappingKernelManager.cull_idle_timeout={idle}",
        f"--MappingKernelManager.cull_interval={min(idle, CULL_INTERVAL_SECONDS)}",
        "--MappingKernelManager.cull_connected=False",  # an open page keeps its kernel
    ]


def with_token(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with a server token in :data:`TOKEN_ENV`: the one it has, else a new random one.

    JupyterLab makes its own token; Voila takes this one (``--Voila.auto_token``), which this
    process then knows and prints in the dashboard's URL.
    """
    return {**env, TOKEN_ENV: env.get(TOKEN_ENV) or secrets.token_hex(24)}


def dashboard_url(port: int, env: Mapping[str, str]) -> str:
    """The URL of a dashboard on ``port``, with the token of ``env`` (:func:`with_token`)."""
    return f"http://{HOST}:{port}/?token={env[TOKEN_ENV]}"


def dashboard(target: Path, port: int = DEFAULT_PORT, open_browser: bool = True) -> int:
    """Serve ``target`` with Voila: print its URL with the token, open it in a browser, run until stopped."""
    env = with_token(live_environment())
    url = dashboard_url(port, env)
    print(f"dashboard: {target} on {url} (Ctrl-C stops it)", flush=True)
    return serve(voila_command(target, port), env, url if open_browser else None)


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


def serve(command: Sequence[str], env: Mapping[str, str], open_url: str | None = None) -> int:
    """Run a server until it stops; its exit status.

    Without ``open_url`` the server takes this process's place (POSIX). With it, the server runs
    as a child: once it listens, ``open_url`` opens in a browser; SIGTERM and SIGHUP are passed on
    to it (Ctrl-C reaches it directly, from the terminal).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if open_url is None and os.name == "posix":
        os.execve(command[0], list(command), dict(env))  # Ctrl-C then reaches the server directly
    process = subprocess.Popen(list(command), env=dict(env))
    for signum in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, lambda number, _frame: process.send_signal(number))
    try:
        if open_url is not None and _listening(process, HOST, _port_of(command)):
            webbrowser.open(open_url)
        return process.wait()
    except KeyboardInterrupt:  # the server had the same Ctrl-C: let it stop
        return process.wait()


def _port_of(command: Sequence[str]) -> int:
    """The ``--port=N`` (or ``--ServerApp.port=N``) of a server command; Voila's default otherwise."""
    ports = [a.rsplit("=", 1)[1] for a in command if a.startswith(("--port=", "--ServerApp.port="))]
    return int(ports[-1]) if ports else DEFAULT_PORT


def _listening(process: subprocess.Popen, host: str, port: int, seconds: float = LISTEN_SECONDS) -> bool:
    """Whether ``process`` listens on ``host:port`` within ``seconds`` (False when it exits first)."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return True
        time.sleep(0.2)
    return False


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
