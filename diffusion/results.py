"""Write a run's results folder atomically: tables as Parquet and CSV, figures, a manifest.

Everything is written into a hidden temporary folder beside the target and renamed into place only
when complete, so a failed or interrupted run never leaves a half-written results folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


class ResultsExistError(ValueError):
    """The results folder exists and overwriting was not asked for."""


@contextmanager
def atomic_folder(target: Path, force: bool = False):
    """Yield a temporary folder that becomes ``target`` on success and disappears on failure."""
    target = Path(target)
    if target.exists() and not force:
        raise ResultsExistError(f"results folder {str(target)!r} already exists; choose another --out or pass --force")
    target.parent.mkdir(parents=True, exist_ok=True)
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
