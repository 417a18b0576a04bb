"""The Dask clusters that run ranking members: a local one, and a scheduler started apart."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from dask.distributed import Client

from experiments.ranking.ensemble import MemberJob, local_cluster, run_ensemble
from scenarios.scenario_file import load_scenario
from tests.scenarios.test_scenario_file import SMALL, write


def test_local_workers_keep_glibc_trimming_and_one_thread() -> None:
    with local_cluster(2) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        assert len(client.scheduler_info()["workers"]) == 2
        trim = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
        threads = client.run(os.environ.get, "OMP_NUM_THREADS")
    assert list(trim.values()) == [None, None]
    assert list(threads.values()) == ["1", "1"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_members_on_a_separate_scheduler_match_members_run_here(tmp_path: Path) -> None:
    """`--scheduler`: a `dask scheduler` and a `dask worker` started apart on loopback run the
    members, with the same result as running them in this process (same seed, same run)."""
    scenario = load_scenario(write(tmp_path, SMALL))
    jobs = [
        MemberJob(plan="own", seed=seed, scenario=scenario, folder=tmp_path / f"{where}{seed}")
        for where in ("remote", "here")
        for seed in (4, 5)
    ]
    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
         "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(
        [dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        remote = run_ensemble(jobs[:2], scheduler=address)
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)
    here = run_ensemble(jobs[2:], workers=0)
    assert [s["seed"] for s in remote] == [4, 5]
    for theirs, ours in zip(remote, here, strict=True):
        assert theirs["evacuated"] == ours["evacuated"] == 20
        assert theirs["t100_s"] == ours["t100_s"] and theirs["t50_s"] == ours["t50_s"]
    assert remote[0]["t100_s"] != remote[1]["t100_s"]  # different seeds, different runs
    assert (tmp_path / "remote4" / "summary.json").exists()
