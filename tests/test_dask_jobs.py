"""A Dask worker killed mid-job (SIGKILL: no clean-up runs) leaves its job folder; the next job
on that machine removes it, and leaves alone the folders of running workers and other hosts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile

from aibm_core.batch import dask_executor

HOLD_A_JOB_FOLDER = """
import sys, time
from aibm_core.batch.dask_executor import job_folder
with job_folder() as folder:
    print(folder, flush=True)
    time.sleep(600)
"""


def test_the_job_folder_of_a_killed_worker_is_removed_by_the_next_job(tmp_path, monkeypatch):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    worker = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_JOB_FOLDER], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        left = tmp_path / worker.stdout.readline().strip()
        assert left.is_dir() and left.name.startswith(f"aibm-job-{socket.gethostname()}-{worker.pid}-")
        (left / "notebooks").mkdir()
        (left / "notebooks" / "api_access.ipynb").write_text("{}")
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        assert dask_executor.remove_orphaned_job_folders() == []  # its worker still runs
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert left.is_dir()  # nothing cleaned up after the kill
    elsewhere = tmp_path / f"aibm-job-another-host-{worker.pid}-x"  # a shared folder: not ours to judge
    elsewhere.mkdir()
    unrelated = tmp_path / "aibm-job-notes"
    unrelated.mkdir()
    with dask_executor.job_folder() as mine:  # the next job on the machine
        assert mine.is_dir() and mine.parent == tmp_path
        assert not left.exists()
        assert dask_executor.remove_orphaned_job_folders() == []  # its own folder: in use
    assert not mine.exists() and elsewhere.is_dir() and unrelated.is_dir()
