"""``aibm dashboard`` guarded as JupyterLab is: a token, 127.0.0.1 only, no foreign ``Host``, idle
kernels shut down. Real HTTP requests to a real Voila server, serving a one-cell notebook (a
model notebook would take a minute per kernel) with the dashboard's own command and environment.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from aibm_core.present import dashboard

#: Seconds a kernel may idle in the test (the dashboard's own: dashboard.KERNEL_IDLE_SECONDS).
IDLE_SECONDS = 2
#: Seconds Voila may take to listen, and to cull an idle kernel (2 busy cores).
START_SECONDS, CULL_SECONDS = 60, 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((dashboard.HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A server in its own process group, stopped (with its kernels) when the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def get(port: int, path: str, host: str | None = None) -> tuple[int, str, str]:
    """``GET path`` with the given ``Host`` header: status, ``Location`` header and body."""
    connection = http.client.HTTPConnection(dashboard.HOST, port, timeout=120)
    try:
        connection.request("GET", path, headers={"Host": host or f"{dashboard.HOST}:{port}"})
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read().decode(errors="replace")
    finally:
        connection.close()


def kernels(server: subprocess.Popen) -> list[psutil.Process]:
    """The kernel processes the server has started and not yet shut down."""
    found = []
    for child in psutil.Process(server.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):  # gone, or a zombie not yet reaped: shut down
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                found.append(child)
    return found


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.ipynb"
    cell = nbformat.v4.new_code_cell("answer = 6 * 7\nprint('answer', answer)")
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


def test_the_dashboard_command_guards_its_server():
    command = dashboard.voila_command(Path("x.ipynb"), 9000, idle_seconds=90)
    assert f"--Voila.ip={dashboard.HOST}" in command and dashboard.HOST == "127.0.0.1"
    assert "--Voila.auto_token=True" in command and "--Voila.port_retries=0" in command
    assert "--MappingKernelManager.cull_idle_timeout=90" in command
    env = dashboard.with_token({"PATH": "/bin"})
    assert len(env[dashboard.TOKEN_ENV]) >= 32 and dashboard.with_token(env) == env  # kept once set
    assert dashboard.with_token({})[dashboard.TOKEN_ENV] != env[dashboard.TOKEN_ENV]  # new each start
    assert dashboard.dashboard_url(9000, env).endswith(f":9000/?token={env[dashboard.TOKEN_ENV]}")


def test_voila_wants_the_token_refuses_a_foreign_host_and_culls_idle_kernels(tiny, tmp_path):
    port = free_port()
    env = dashboard.with_token(dashboard.live_environment())
    token = env[dashboard.TOKEN_ENV]
    command = dashboard.voila_command(tiny, port, idle_seconds=IDLE_SECONDS)
    with running(command, env, tmp_path / "voila.log") as server:
        assert dashboard._listening(server, dashboard.HOST, port, START_SECONDS), (
            tmp_path / "voila.log"
        ).read_text()
        for path in ("/", "/?token=wrong", f"/?token={token[:-1]}"):
            status, location, body = get(port, path)
            assert status in (302, 403) and location.startswith(("/login", "")), (path, status)
            assert "answer" not in body
        status, _, body = get(port, f"/?token={token}", host=f"rebound.example.com:{port}")
        assert status == 403 and "answer" not in body  # DNS rebinding: a foreign name, our address
        assert kernels(server) == []  # no refused request started a kernel

        status, _, body = get(port, f"/?token={token}")
        assert status == 200 and "answer 42" in body
        assert len(kernels(server)) == 1
        status, _, body = get(port, f"/?token={token}", host=f"localhost:{port}")
        assert status == 200 and "answer 42" in body

        begin = time.monotonic()
        while kernels(server) and time.monotonic() - begin < CULL_SECONDS:
            time.sleep(0.5)
        assert kernels(server) == [], f"kernels left after {CULL_SECONDS} s idle"
        print(f"two idle kernels culled {time.monotonic() - begin:.1f} s after the last page")
        assert "Culling 'idle' kernel" in (tmp_path / "voila.log").read_text()


def test_aibm_dashboard_prints_its_url_with_the_token_and_listens_on_loopback_only(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != dashboard.TOKEN_ENV}
    command = [sys.executable, "-m", "aibm_core.batch.cli", "dashboard", "--port", str(port), "--no-browser"]
    with running(command, env, tmp_path / "dashboard.log") as server:
        assert dashboard._listening(server, dashboard.HOST, port, START_SECONDS)
        first = (tmp_path / "dashboard.log").read_text().splitlines()[0]
        match = re.search(
            rf"on http://127\.0\.0\.1:{port}/\?token=([0-9a-f]{{48}}) \(Ctrl-C stops it\)$", first
        )
        assert match, first
        assert get(port, "/")[0] == 302
        status = get(port, f"/?token={match.group(1)}")[0]  # the notebooks folder: no kernel
        assert status == 200 and kernels(server) == []
        listening = {
            c.laddr.ip
            for p in [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
            for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        }
        assert listening == {"127.0.0.1"}
