"""Ensembles: every short-listed plan run with several seeds, on a Dask cluster.

Each member is one full run of the scenario with the plan's rules (`experiments.single_run`,
without trajectories or figures), in its own folder. By default a local Dask cluster with one
single-threaded worker process per core runs them side by side; `scheduler` sends them to an
existing Dask scheduler instead (more machines, more members at once); `workers=0` runs them
one after the other in this process with all cores (no cluster).

The local workers keep glibc's own memory trimming: Dask starts workers with
MALLOC_TRIM_THRESHOLD_=64 KiB, which hands freed memory back to the system at once, so that
the engine's per-step arrays page-fault afresh every step; a ranking member then took 44 % longer
(193 s against 134 s, measured on the worst-case ammonia scenario's own plan).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.scenario_file import Scenario

if TYPE_CHECKING:
    from dask.distributed import LocalCluster


@dataclass(frozen=True)
class MemberJob:
    """One ensemble member: a plan's scenario with one seed, written to `folder`; floor fields
    are shared through `field_folder` with the other members that use it (see
    `simulator.floor_field.FloorFieldStore`)."""

    plan: str
    seed: int
    scenario: Scenario
    folder: Path
    field_folder: Path | None = None


def member_fingerprint(job: MemberJob) -> str:
    """What makes a member's result: its scenario (plan included), its seed and this version."""
    from importlib.metadata import version

    text = f"{job.scenario!r}|{job.seed}|{version('plzen-evac')}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def run_member(job: MemberJob, threads: int = 0) -> dict[str, Any]:
    """Run one member (on a worker) and return its summary; `threads` > 0 caps Numba's threads.
    The member's summary.json also records its plan and fingerprint (see `member_fingerprint`)."""
    import numba

    from experiments.single_run import run_scenario
    from simulator.floor_field import FloorFieldStore

    if threads > 0:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    labels = {"plan": job.plan, "member_fingerprint": member_fingerprint(job)}
    store = None if job.field_folder is None else FloorFieldStore(job.field_folder)
    return run_scenario(
        job.scenario, job.folder, seed=job.seed, trajectories=False, figures=False, labels=labels,
        field_store=store,
    )  # fmt: skip


def local_cluster(workers: int) -> LocalCluster:
    """A Dask cluster on loopback: `workers` single-threaded worker processes, started with
    Dask's environment for workers less its malloc trim threshold (see the module docstring)."""
    import dask
    from dask.distributed import LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            # Any free port for the scheduler's HTTP routes (and its dashboard, where bokeh is
            # installed): with None it still binds 8787 and warns when another ranking holds it.
            dashboard_address=":0",
            host="127.0.0.1",
            silence_logs=50,
        )


def run_ensemble(
    jobs: Sequence[MemberJob],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[MemberJob, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run all members; their summaries in the order of `jobs`.

    `workers`: local worker processes (default: one per core; 0: no cluster, run here)."""
    if not jobs:
        return []
    if workers == 0 and scheduler is None:
        inline = []
        for job in jobs:
            inline.append(run_member(job))
            if on_done is not None:
                on_done(job, inline[-1])
        return inline
    from dask.distributed import Client, as_completed

    cluster = None
    if scheduler is None:
        cluster = local_cluster(workers or os.cpu_count() or 1)
        client = Client(cluster)
        threads = 1
    else:
        client = Client(scheduler)
        threads = 0
    try:
        futures = {
            client.submit(
                run_member, job, threads, key=f"member-{k}-{job.plan}-{job.seed}", pure=False
            ): k
            for k, job in enumerate(jobs)
        }
        results: list[dict[str, Any] | None] = [None] * len(jobs)
        for future in as_completed(futures):
            k = futures[future]
            results[k] = future.result()
            if on_done is not None:
                on_done(jobs[k], future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [r for r in results if r is not None]
