"""The local Dask cluster that runs ranking members."""

from __future__ import annotations

import os

from dask.distributed import Client

from experiments.ranking.ensemble import local_cluster


def test_local_workers_keep_glibc_trimming_and_one_thread() -> None:
    with local_cluster(2) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        assert len(client.scheduler_info()["workers"]) == 2
        trim = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
        threads = client.run(os.environ.get, "OMP_NUM_THREADS")
    assert list(trim.values()) == [None, None]
    assert list(threads.values()) == ["1", "1"]
