"""Warm kernels for batch runs: one kernel per worker process, reused notebook after notebook.

Starting a kernel and importing ``aibm_core``, Altair and pandas costs a few seconds, most of
a small notebook's run. A worker of ``aibm run`` therefore keeps one kernel with those imports
done and, before each notebook, gives it a fresh namespace: the user variables and history
are dropped, the execution counter starts again at 1 and the warning filters and "shown once"
registries are restored, so a notebook sees what it would see in a new kernel and its stored
outputs are the same (``tests/test_warm_kernel.py`` runs every notebook both ways and
compares). Modules stay imported; a notebook must not depend on module state left by another
(none of the shipped ones does).

A kernel that died, timed out or failed in any way other than an exception in a cell is shut
down, and the next notebook starts a new one.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from queue import Empty
from typing import Any

from nbclient.util import ensure_async, run_hook
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

#: Name of the papermill engine running notebooks on a warm kernel.
ENGINE = "aibm-warm"
#: What a warm kernel imports once, before its first notebook.
WARM_UP = "import aibm_core.notebook, aibm_core.charts, aibm_core.widgets, altair, pandas, numpy"
#: Longest wait (s) for a kernel to start and import :data:`WARM_UP`.
START_SECONDS = 120

#: Run in the kernel (without counting as a cell) before every notebook after the first.
_RESET = """
def _aibm_fresh_namespace():
    import sys
    import warnings

    shell = get_ipython()
    shell.reset(new_session=True)  # user variables, history, Out; execution_count back to 1
    warnings.filters[:] = sys.modules["__aibm_warm__"].filters
    warnings.simplefilter("default")  # any change forgets which warnings were already shown...
    warnings.filters[:] = sys.modules["__aibm_warm__"].filters  # ...then the start-up filters again

_aibm_fresh_namespace()
"""

#: Run once after :data:`WARM_UP`: keeps the kernel's start-up warning filters for :data:`_RESET`.
_REMEMBER = """
import sys, types, warnings
sys.modules["__aibm_warm__"] = types.SimpleNamespace(filters=list(warnings.filters))
del sys, types, warnings
"""


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
        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=self.kernel_name)
        try:
            _sync(km.start_kernel())
            self._km = km
            self._run(WARM_UP)
            self._run(_REMEMBER)
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
        from jupyter_client.blocking import BlockingKernelClient

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


def _sync(awaitable: Any) -> Any:
    """Run a kernel manager's coroutine to its end from synchronous code."""
    from jupyter_core.utils import run_sync

    async def wait() -> Any:
        return await awaitable

    return run_sync(wait)()


class QuickSaveManager(NotebookExecutionManager):
    """papermill's execution manager, saving the notebook being run as compact JSON.

    papermill saves the whole notebook when each cell starts and ends, through nbformat's
    indented writer, which cost about 2 s per model notebook (half a megabyte, some sixty
    times). The saves during the run (which show the running cell, should the kernel die)
    here use the C JSON encoder without indentation; the last one, the notebook that is
    kept, is written by nbformat as usual.
    """

    _final = False

    def save(self, **kwargs: Any) -> None:
        if self._final or not self.output_path:
            super().save(**kwargs)
            return
        Path(self.output_path).write_text(json.dumps(self.nb, ensure_ascii=False), encoding="utf-8")
        self.last_save_time = self.now()

    def notebook_complete(self, **kwargs: Any) -> None:
        self._final = True
        super().notebook_complete(**kwargs)


async def _connected(client: Any, timeout: float) -> None:
    """Wait until the kernel answers ``client`` on both channels (the warm kernel is running).

    A kernel-info request is repeated until its reply comes back and its ``idle`` status
    arrives on the output channel, which proves that channel connected. Unlike
    ``wait_for_ready`` it then stops at once instead of waiting out 0.2 s of silence.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = client.kernel_info()
        with contextlib.suppress(Empty):
            while True:  # the reply, skipping any other
                reply = await client.shell_channel.get_msg(timeout=1)
                if reply["parent_header"].get("msg_id") == request:
                    break
            while True:  # then our request's idle status on the output channel
                msg = await client.iopub_channel.get_msg(timeout=1)
                mine = msg["parent_header"].get("msg_id") == request
                if mine and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return
        if not await ensure_async(client.is_alive()):
            raise RuntimeError("the warm kernel died before answering")
    raise RuntimeError(f"the warm kernel did not answer in {timeout:.0f} s")


class _WarmClient(PapermillNotebookClient):
    """papermill's notebook client, connecting to the warm kernel without the fixed wait."""

    async def async_start_new_kernel_client(self) -> Any:
        self.kc = self.km.client()
        await ensure_async(self.kc.start_channels())
        try:
            await _connected(self.kc, self.startup_timeout)
        except Exception:
            self.kc.stop_channels()
            raise
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc


class WarmEngine(NBClientEngine):
    """papermill's nbclient engine on a running kernel (``km``), which it leaves running.

    The notebook's own kernel client is closed after the run; the kernel is not. Saves during
    the run are quick (:class:`QuickSaveManager`).
    """

    @classmethod
    def execute_notebook(
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = True,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        **kwargs: Any,
    ) -> Any:
        # papermill's Engine.execute_notebook, which names its manager class: only that differs.
        nb_man = QuickSaveManager(
            nb,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = _WarmClient(nb_man, **final_kwargs)
        try:
            return client.execute()
        finally:
            if client.kc is not None:
                with contextlib.suppress(Exception):
                    client.kc.stop_channels()


papermill_engines.register(ENGINE, WarmEngine)


#: This process's warm kernel, once :func:`enable` was called (worker processes of ``aibm run``).
_KERNEL: list[WarmKernel] = []


def enable(kernel_name: str = "python3") -> None:
    """Run this process's notebooks on a warm kernel, shut down when the process exits."""
    from multiprocessing import util

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
