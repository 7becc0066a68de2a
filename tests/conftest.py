"""Shared helpers for the tests: small runs of the model with parameter changes."""

from __future__ import annotations

import numpy as np
import pytest

from diffusion import DiffusionModel, make_parameters


def deep_update(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = deep_update(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def run_model(changes: dict | None = None, seed: int = 0) -> DiffusionModel:
    return DiffusionModel(make_parameters(changes or {}), seed=seed).run()


def replicate(changes: dict, seeds, measure) -> np.ndarray:
    """measure(model) for each seed, as an array."""
    return np.array([measure(run_model(changes, seed)) for seed in seeds], dtype=float)


@pytest.fixture(scope="session")
def baseline_model() -> DiffusionModel:
    return run_model({}, seed=1)


@pytest.fixture
def no_stray_processes(monkeypatch):
    """Fail a test that leaves a process running: everything it started must be gone a few seconds after it.

    A process counts as the test's if it descends from pytest and was not there before, or if it carries
    the test's mark in its environment (set here, so inherited by whatever the test starts): that finds
    the grandchild of a killed parent, which the kernel hands to another parent. Leftovers are killed, by
    their pids, and named in the failure."""
    import os
    import signal
    import time
    import uuid
    from pathlib import Path

    mark = uuid.uuid4().hex
    monkeypatch.setenv("FTZ_TEST_PROCESS_MARK", mark)
    needle = f"FTZ_TEST_PROCESS_MARK={mark}".encode()

    def alive() -> dict[int, int]:
        """pid -> parent pid of every process that is not a zombie."""
        found = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if fields[0] not in ("Z", "X"):
                    found[int(entry.name)] = int(fields[1])
        return found

    def ours() -> set[int]:
        table = alive()
        family, grew = {os.getpid()}, True
        while grew:
            more = {pid for pid, parent in table.items() if parent in family} - family
            family |= more
            grew = bool(more)
        for pid in table:
            try:
                if needle in Path(f"/proc/{pid}/environ").read_bytes():
                    family.add(pid)
            except OSError:
                continue
        return family - {os.getpid()}

    def command(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            return "?"

    before = ours()
    yield
    deadline = time.monotonic() + 8
    left = ours() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = ours() - before
    if left:
        named = {pid: command(pid) for pid in sorted(left)}
        for pid in named:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        pytest.fail("the test left processes running (now killed): "
                    + "; ".join(f"{pid}: {cmd}" for pid, cmd in named.items()), pytrace=False)
