"""Where runs execute: one interface, three implementations.

Every experiment (ensembles, comparisons, sweeps, sensitivity analyses, attribution, calibration) hands
its jobs to a backend:

- :class:`Serial`: in this process, one after the other (debugging, tiny runs);
- :class:`Processes`: a local process pool (the default, ``workers`` processes);
- :class:`Dask`: a Dask distributed cluster, from a scheduler address (``tcp://host:8786``, a cluster
  started with ``dask scheduler`` and ``dask worker``) or a ``LocalCluster`` on 127.0.0.1.

``backend.map(function, jobs, progress)`` returns the results in job order; ``backend.stream(function,
jobs, window)`` yields them as they finish (at most ``window`` in flight: what a resumable sweep needs).
A job's numbers never depend on the backend: every run draws from streams keyed by its seed and
replicate (:mod:`diffusion.streams`), so the tables are equal whatever runs them.

    from diffusion.backends import make_backend
    with make_backend(workers=4) as backend:                  # or scheduler="tcp://127.0.0.1:8786"
        results = backend.map(job, jobs)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class Backend:
    """What every backend offers; use as a context manager so it releases what it started."""

    name = "backend"
    workers = 1

    def map(self, function: Callable, jobs: list, progress: Callable[[int], None] | None = None) -> list:
        raise NotImplementedError

    def stream(self, function: Callable, jobs: Iterable, window: int | None = None) -> Iterator:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend started (a pool is per call; a Dask client is closed here)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        """What ran the jobs, for the results manifest."""
        return {"backend": self.name, "workers": self.workers}


class Serial(Backend):
    """Every job in this process, in order."""

    name = "serial"

    def map(self, function, jobs, progress=None):
        out = []
        for job in jobs:
            out.append(function(job))
            if progress:
                progress(1)
        return out

    def stream(self, function, jobs, window=None):
        for job in jobs:
            yield function(job)


class Processes(Backend):
    """A local process pool of ``workers`` processes (forked on Linux; see ``ensemble.worker_context``)."""

    name = "processes"

    def __init__(self, workers: int = 2, chunks_per_worker: int = 4):
        if workers < 1:
            raise ValueError(f"workers must be at least 1 (given: {workers})")
        self.workers = int(workers)
        self.chunks_per_worker = chunks_per_worker

    def map(self, function, jobs, progress=None):
        jobs = list(jobs)
        if self.workers == 1 or len(jobs) <= 1:
            return Serial().map(function, jobs, progress)
        from concurrent.futures import ProcessPoolExecutor

        from .ensemble import worker_context

        results = []
        with ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)), mp_context=worker_context()) as pool:
            chunk = max(1, len(jobs) // (self.chunks_per_worker * self.workers))
            for result in pool.map(function, jobs, chunksize=chunk):
                results.append(result)
                if progress:
                    progress(1)
        return results

    def stream(self, function, jobs, window=None):
        if self.workers == 1:
            yield from Serial().stream(function, jobs)
            return
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        from .ensemble import worker_context

        window = window or max(2 * self.workers, 8)
        iterator = iter(jobs)
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=worker_context()) as pool:
            pending = {pool.submit(function, job) for job in itertools.islice(iterator, window)}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                pending |= {pool.submit(function, job) for job in itertools.islice(iterator, len(done))}


class Dask(Backend):
    """A Dask distributed cluster: ``Dask(scheduler="tcp://127.0.0.1:8786")``, ``Dask(local_workers=2)``
    (a LocalCluster on 127.0.0.1, closed with the backend) or ``Dask(client=an_existing_client)``."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None, client=None):
        from distributed import Client, LocalCluster

        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
        elif scheduler:
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as error:
                raise ValueError(f"--scheduler: cannot reach a Dask scheduler at {scheduler!r} ({error}); check the "
                                 f"address (e.g. tcp://127.0.0.1:8786) or use --dask-local") from None
        else:
            self._cluster = LocalCluster(n_workers=local_workers or 2, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None)
            self.client = Client(self._cluster)
        self.scheduler = self.client.scheduler.address
        self.workers = len(self.client.scheduler_info().get("workers", {})) or (local_workers or 1)

    def map(self, function, jobs, progress=None):
        from distributed import as_completed

        jobs = list(jobs)
        futures = [self.client.submit(function, job, pure=False) for job in jobs]
        index = {future.key: k for k, future in enumerate(futures)}
        results: list = [None] * len(jobs)
        for future in as_completed(futures):
            results[index[future.key]] = future.result()
            future.release()
            if progress:
                progress(1)
        return results

    def stream(self, function, jobs, window=None):
        from distributed import as_completed

        window = window or max(2 * self.workers, 8)
        iterator = iter(jobs)
        first = [self.client.submit(function, job, pure=False) for job in itertools.islice(iterator, window)]
        if not first:
            return
        queue = as_completed(first)
        for future in queue:
            yield future.result()
            future.release()
            for job in itertools.islice(iterator, 1):
                queue.add(self.client.submit(function, job, pure=False))

    def close(self) -> None:
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "workers": self.workers, "scheduler": self.scheduler}


def make_backend(workers: int = 1, scheduler: str | None = None, dask_local: bool = False) -> Backend:
    """The backend the options name: a Dask scheduler address, a local Dask cluster, or ``workers``
    local processes (1: this process)."""
    if scheduler and dask_local:
        raise ValueError("give either --scheduler ADDRESS or --dask-local, not both")
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (given: {workers})")
    if scheduler:
        return Dask(scheduler=scheduler)
    if dask_local:
        return Dask(local_workers=workers)
    return Serial() if workers == 1 else Processes(workers)
