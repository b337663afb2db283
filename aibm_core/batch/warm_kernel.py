"""Warm kernels for batch runs: one kernel per worker process, reused notebook after notebook.

Starting a kernel and importing ``aibm_core``, Altair and pandas costs a few seconds, most of
a small notebook's run. A worker of ``aibm run`` therefore keeps one kernel with those imports
done and, before each notebook, gives it a fresh namespace: the user variables and history
are dropped, the execution counter starts again at 1 and the warning filters and "shown once"
registries are restored, so a notebook sees what it would see in a new kernel and its stored
outputs are the same (``tests/test_warm_kernel.py`` runs every notebook both ways and
compares). What a notebook can change for the next one is put back as it was when the kernel
had warmed up (:func:`_remember`): environment variables and working folder, pandas' and NumPy's
options, the global random states, Altair's renderer, data transformer and theme, and the
top-level names of the ``aibm_core`` modules. Modules stay imported; state held inside their
objects (a cache's contents) is not reset, and none of the shipped notebooks changes it.

A kernel that died, timed out or failed in any way other than an exception in a cell is shut
down, and the next notebook starts a new one.

Only public interfaces are used: the notebooks run through :class:`WarmEngine`, a papermill
engine (``papermill.engines.Engine``, registered by name when this module is imported; not an
entry point, which would make every ``import papermill`` import this package) driving
papermill's nbclient ``NotebookClient`` on a kernel manager it does not own; the kernel is
managed with jupyter_client. The papermill and nbclient versions this was checked against are
bounded in ``pyproject.toml`` (``tests/test_packaging.py`` fails when the installed ones leave
that range).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import textwrap
import time
from multiprocessing import util
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines

#: Name of the papermill engine running notebooks on a warm kernel.
ENGINE = "aibm-warm"
#: What a warm kernel imports once, before its first notebook.
WARM_UP = (
    "import aibm_core.present.notebook, aibm_core.present.charts, aibm_core.present.widgets, "
    "altair, pandas, numpy"
)
#: Longest wait (s) for a kernel to start and import :data:`WARM_UP`.
START_SECONDS = 120

#: Run in the kernel (without counting as a cell) before every notebook after the first.
_RESET = """
def _aibm_fresh_namespace():
    import sys
    import warnings

    shell = get_ipython()
    shell.reset(new_session=True)  # user variables, history, Out; execution_count back to 1
    sys.modules["__aibm_warm__"].restore()  # environment, options, random states, module globals
    warnings.filters[:] = sys.modules["__aibm_warm__"].filters
    warnings.simplefilter("default")  # any change forgets which warnings were already shown...
    warnings.filters[:] = sys.modules["__aibm_warm__"].filters  # ...then the start-up filters again

_aibm_fresh_namespace()
"""

#: Run once after :data:`WARM_UP`: keeps what a notebook may change and :data:`_RESET` puts back.
_REMEMBER = """
import sys, types, warnings
sys.modules["__aibm_warm__"] = types.SimpleNamespace(filters=list(warnings.filters))
exec(compile(%r, "<aibm-warm>", "exec"), vars(sys.modules["__aibm_warm__"]))
sys.modules["__aibm_warm__"].restore = sys.modules["__aibm_warm__"]._remember()
del sys, types, warnings
"""


def _remember() -> Any:
    """Snapshot, in the kernel, what a notebook can change for the next one; return its restorer.

    Taken once the kernel has imported :data:`WARM_UP`: the environment variables and working
    folder, pandas' and NumPy's options, the global random states of ``random`` and NumPy,
    Altair's active renderer, data transformer and theme, and the top-level names of every
    ``aibm_core`` module. Its source runs in the kernel (:data:`_REMEMBER`), so it imports there.
    """
    import contextlib
    import os
    import random
    import sys
    import warnings

    import altair
    import numpy
    import pandas

    environ, cwd = dict(os.environ), os.getcwd()
    printing, errors = numpy.get_printoptions(), numpy.geterr()
    states = random.getstate(), numpy.random.get_state()  # noqa: NPY002 - the state a notebook may seed
    theme = getattr(altair, "theme", None) or altair.themes  # Altair 5.5 moved themes to alt.theme
    registries = [altair.renderers, altair.data_transformers, theme]
    plugins = [(r, r.active, dict(r.options)) for r in registries if hasattr(r, "enable")]
    modules = {
        name: (module, dict(vars(module)))
        for name, module in list(sys.modules.items())
        if name.split(".")[0] == "aibm_core" and module is not None
    }

    def restore() -> None:
        os.environ.clear()
        os.environ.update(environ)
        with contextlib.suppress(OSError):
            os.chdir(cwd)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas warns about deprecated options it resets
            pandas.reset_option("all")
        numpy.set_printoptions(**printing)
        numpy.seterr(**errors)
        random.setstate(states[0])
        numpy.random.set_state(states[1])  # noqa: NPY002
        for registry, active, options in plugins:
            with contextlib.suppress(Exception):
                registry.enable(active, **options)
        for module, names in modules.values():
            space = vars(module)
            for key in [k for k, v in space.items() if k not in names and not isinstance(v, type(sys))]:
                del space[key]  # a name a notebook added (a submodule imported since stays)
            space.update((k, v) for k, v in names.items() if space.get(k, v) is not v or k not in space)

    return restore


class KernelStartError(RuntimeError):
    """The warm kernel could not start or import what it needs."""


class WarmKernel:
    """One reusable kernel of ``kernel_name``; :meth:`manager` returns it ready for a notebook."""

    def __init__(self, kernel_name: str = "python3") -> None:
        self.kernel_name = kernel_name
        self._km: Any = None
        self._fresh = False  # True until the kernel has run a notebook

    def manager(self) -> Any:
        """The kernel manager to run the next notebook on: a live kernel with a fresh namespace.

        Raises
        ------
        KernelStartError
            When a new kernel does not start or cannot import :data:`WARM_UP`.
        """
        if self._km is not None and not self._alive():
            self.discard()
        if self._km is None:
            self._start()
        elif not self._fresh:
            try:
                self._run(_RESET, wait_ready=False)  # known alive: skip the 0.2-0.4 s handshake
            except Exception:
                self.discard()
                self._start()
        self._fresh = False
        return self._km

    def discard(self) -> None:
        """Shut the kernel down (the next :meth:`manager` starts another)."""
        km, self._km = self._km, None
        if km is not None:
            with contextlib.suppress(Exception):
                _sync(km.shutdown_kernel(now=True))

    def _alive(self) -> bool:
        try:
            return bool(_sync(self._km.is_alive()))
        except Exception:
            return False

    def _start(self) -> None:
        km = AsyncKernelManager(kernel_name=self.kernel_name)
        try:
            _sync(km.start_kernel())
            self._km = km
            self._run(WARM_UP)
            self._run(_REMEMBER % _source(_remember))
        except Exception as error:
            self._km = km
            self.discard()
            raise KernelStartError(f"the kernel did not start: {type(error).__name__}: {error}") from error
        self._fresh = True

    def _run(self, code: str, wait_ready: bool = True) -> None:
        """Run ``code`` in the kernel outside the notebook's history; raise if it fails.

        ``wait_ready=False`` skips the client's readiness handshake (a kernel-info round trip
        and a 0.2 s quiet period on its output channel), for a kernel that has already run code.
        """
        client = BlockingKernelClient()
        client.load_connection_info(self._km.get_connection_info())
        client.start_channels()
        try:
            if wait_ready:
                client.wait_for_ready(timeout=START_SECONDS)
            reply = client.execute_interactive(
                code, silent=True, store_history=False, timeout=START_SECONDS, output_hook=lambda _msg: None
            )
        finally:
            client.stop_channels()
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")


def _source(function: Any) -> str:
    """The source of a module-level function of this module, to define it in a kernel."""
    return "from __future__ import annotations\n" + textwrap.dedent(inspect.getsource(function))


def _sync(awaitable: Any) -> Any:
    """Run a kernel manager's coroutine to its end from synchronous code."""

    async def wait() -> Any:
        return await awaitable

    return run_sync(wait)()


class WarmEngine(Engine):
    """A papermill engine running notebooks on a kernel it is given and leaves running.

    Pass the kernel's manager as ``km`` (:meth:`WarmKernel.manager`). The notebook runs through
    papermill's own notebook client, :class:`~papermill.clientwrap.PapermillNotebookClient` (an
    nbclient ``NotebookClient``), which records each cell's status and timing exactly as
    papermill's default engine does. Given a kernel manager, nbclient neither starts nor shuts
    down the kernel; the engine only closes the client's channels after the run.

    With ``quick_save_path`` (and ``request_save_on_cell_execute=False``, so that papermill
    does not also save the notebook through nbformat's indented writer at every cell) the
    notebook is saved as compact JSON as each code cell starts, from nbclient's
    ``on_cell_execute`` hook: the saved notebook names the cell that was running should the
    kernel die. When the run fails outside a cell (the kernel died, a cell timed out) the
    notebook as it stands is saved through nbformat; otherwise papermill saves the finished
    notebook. Registered with papermill as :data:`ENGINE` when this module is imported.
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        km: Any = None,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        quick_save_path: str | None = None,
        input_path: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Run ``nb_man``'s notebook on the kernel of ``km`` (papermill's engine interface).

        Parameters
        ----------
        nb_man : papermill.engines.NotebookExecutionManager
            The notebook and its execution state, from papermill.
        kernel_name : str
            The notebook's kernel name (the kernel of ``km`` runs it whatever its name).
        km : jupyter_client.manager.AsyncKernelManager
            A running kernel's manager; required.
        log_output, stdout_file, stderr_file, start_timeout, execution_timeout
            As for papermill's default engine.
        quick_save_path : str, optional
            Where to save the notebook while it runs (see the class).
        input_path : Any, optional
            Papermill's input path; unused.
        **kwargs
            Further ``NotebookClient`` options.

        Returns
        -------
        nbformat.NotebookNode
            The executed notebook.

        Raises
        ------
        ValueError
            Without ``km``.
        """
        if km is None:
            raise ValueError(f"the {ENGINE} engine runs on a given kernel: pass km=WarmKernel.manager()")
        if quick_save_path:
            kwargs["on_cell_execute"] = lambda **_hook: _quick_save(nb_man.nb, quick_save_path)
        client = PapermillNotebookClient(
            nb_man,
            km=km,
            kernel_name=kernel_name,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            **kwargs,
        )
        try:
            return client.execute()
        except BaseException:
            if quick_save_path:
                with contextlib.suppress(Exception):
                    nbformat.write(nb_man.nb, quick_save_path)
            raise
        finally:
            if client.kc is not None:  # nbclient keeps the client of a kernel it does not own
                with contextlib.suppress(Exception):
                    client.kc.stop_channels()


def _quick_save(nb: Any, path: str) -> None:
    """Write ``nb`` to ``path`` as compact JSON (the C encoder; nbformat indents in Python)."""
    Path(path).write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


papermill_engines.register(ENGINE, WarmEngine)


#: This process's warm kernel, once :func:`enable` was called (worker processes of ``aibm run``).
_KERNEL: list[WarmKernel] = []


def enable(kernel_name: str = "python3") -> None:
    """Run this process's notebooks on a warm kernel, shut down when the process exits."""
    if not _KERNEL:
        _KERNEL.append(WarmKernel(kernel_name))
        util.Finalize(None, shutdown, exitpriority=10)  # runs when a pool's worker exits


def current() -> WarmKernel | None:
    """This process's warm kernel, or ``None`` when notebooks run on new kernels."""
    return _KERNEL[0] if _KERNEL else None


def shutdown() -> None:
    """Shut down this process's warm kernel, if any."""
    if _KERNEL:
        _KERNEL[0].discard()


def papermill_options(kernel: WarmKernel, output_path: str | Path) -> dict[str, Any]:
    """``papermill.execute_notebook``'s options running a notebook on ``kernel`` (started if need be).

    The notebook is saved compactly as each code cell starts (:class:`WarmEngine`), not through
    papermill's per-cell saves.

    Parameters
    ----------
    kernel : WarmKernel
        The kernel to run on.
    output_path : str or pathlib.Path
        The notebook's output path, as given to papermill.

    Returns
    -------
    dict
        ``engine_name``, ``km``, ``request_save_on_cell_execute`` and ``quick_save_path``.

    Raises
    ------
    KernelStartError
        When the kernel does not start (:func:`wait_started`).
    """
    return {
        "engine_name": ENGINE,
        "km": wait_started(kernel),
        "request_save_on_cell_execute": False,
        "quick_save_path": str(output_path),
    }


def wait_started(kernel: WarmKernel, attempts: int = 3) -> Any:
    """:meth:`WarmKernel.manager`, retried when the kernel fails to start (ports taken...)."""
    for attempt in range(1, attempts + 1):
        try:
            return kernel.manager()
        except KernelStartError:
            if attempt == attempts:
                raise
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
