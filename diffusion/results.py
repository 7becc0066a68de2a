"""Write a run's results folder atomically: tables as Parquet and CSV, figures, a manifest.

Everything is written into a hidden temporary folder beside the target and renamed into place only
when complete, so a failed or interrupted run never leaves a half-written results folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

#: the files that make a folder this tool's: a results folder's manifest, a sweep's description
MARKERS = ("manifest.json", "sweep.json")


class ResultsExistError(ValueError):
    """The results folder exists and overwriting was not asked for."""


class FolderLockedError(ValueError):
    """Another process is writing the folder."""


# ------------------------------------------------------------------------------------ one writer
_HELD: dict[str, list] = {}       # lock path -> [open file, depth]: a process may nest its own lock


def lock_path(folder: Path) -> Path:
    """The lock file of a folder: ``.NAME.lock`` beside it, so it outlives replacing the folder."""
    folder = Path(folder).absolute()
    return folder.with_name(f".{folder.name}.lock")


def _holder(path: Path) -> dict:
    for _ in range(20):               # the holder writes its details just after taking the lock
        try:
            text = path.read_text(encoding="utf-8")
            if text.strip():
                return json.loads(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return {}


@contextmanager
def folder_lock(folder: Path):
    """Hold the one-writer lock of ``folder`` (fcntl.flock on ``.NAME.lock`` beside it, holding pid, host,
    command and start time); ValueError naming the holder when another process holds it.

    The operating system releases a flock when its process dies, however it dies, so the lock of a
    killed writer is taken over at once. The lock file is removed on release.
    """
    import fcntl

    path = lock_path(folder)
    key = str(path)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield path
        finally:
            _HELD[key][1] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            holder = _holder(path)
            who = (f"process {holder.get('pid', '?')} on {holder.get('host', '?')} ({holder.get('command') or '?'}), "
                   f"since {holder.get('started', '?')}") if holder else "another process"
            raise FolderLockedError(f"{str(Path(folder))!r} is being written by {who}; wait for it to finish, "
                                    f"stop it, or choose another folder") from None
        try:
            same = os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:                      # not a file its last holder removed after we opened it
            break
        handle.close()
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv),
                             "started": time.strftime("%Y-%m-%d %H:%M:%S")}))
    handle.flush()
    _HELD[key] = [handle, 1]
    try:
        yield path
    finally:
        del _HELD[key]
        path.unlink(missing_ok=True)  # while still locked: a waiting process then finds no stale file
        handle.close()


def is_results_folder(folder: Path) -> bool:
    """Whether ``folder`` is this tool's: a results folder (manifest.json) or a sweep (sweep.json)."""
    return any((Path(folder) / marker).is_file() for marker in MARKERS)


def check_replaceable(folder: Path) -> None:
    """Allow ``--force`` to replace only this tool's folders (or an empty one); ValueError otherwise."""
    folder = Path(folder)
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return
    if not folder.is_dir() or not is_results_folder(folder):
        what = "a file" if not folder.is_dir() else "a folder without manifest.json or sweep.json"
        raise ResultsExistError(f"{str(folder)!r} is {what}, not a results folder of ftz-diffusion, so --force "
                                f"(force=True) will not replace it; it is left as it is; choose another folder")


_PARTIAL = re.compile(r"\.(?P<name>.+)\.[^.]+\.partial")


def sweep_debris(parent: Path) -> list[Path]:
    """Remove the hidden ``.NAME.*.partial`` and ``.NAME.old`` folders a killed writer left in ``parent``:
    those whose folder's lock no living process holds. Returns what was removed."""
    removed = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL.fullmatch(entry.name)
        name = match["name"] if match else (entry.name[1:-4] if entry.name.startswith(".") and
                                            entry.name.endswith(".old") else None)
        if not name or not entry.is_dir():
            continue
        try:
            with folder_lock(entry.parent / name):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        except FolderLockedError:
            continue                  # its writer is alive
    return removed


@contextmanager
def atomic_folder(target: Path, force: bool = False):
    """Yield a temporary folder that becomes ``target`` on success and disappears on failure, holding the
    folder's lock throughout. With ``force`` an existing folder is replaced only if it is this tool's."""
    target = Path(target)
    with folder_lock(target):
        with _atomic_folder(target, force) as staging:
            yield staging


@contextmanager
def _atomic_folder(target: Path, force: bool):
    if target.exists() and not force:
        raise ResultsExistError(f"results folder {str(target)!r} already exists; choose another folder (--out) or replace it (--force; force=True in Python)")
    if force:
        check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_debris(target.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        yield staging
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            os.replace(target, backup)
            os.replace(staging, target)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Each table as ``tables/NAME.parquet`` and ``tables/NAME.csv``."""
    out = Path(folder) / "tables"
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_parquet(out / f"{name}.parquet", index=False)
        table.to_csv(out / f"{name}.csv", index=False)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file through a temporary beside it, so a reader never sees it half-written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def write_table_atomic(folder: Path, name: str, table: pd.DataFrame) -> None:
    """One table as ``NAME.parquet`` and ``NAME.csv`` in ``folder``, each written to a temporary name and
    renamed, so a reader never sees half a table (for folders that grow, such as a sweep's)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, writer in (("parquet", table.to_parquet), ("csv", table.to_csv)):
        tmp = folder / f".{name}.{suffix}.tmp"
        writer(tmp, index=False)
        os.replace(tmp, folder / f"{name}.{suffix}")
