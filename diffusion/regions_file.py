"""A regions file: your own jurisdictions, their traits and covariates, one row per region.

    id,name,name_zh,lon,lat,capacity,population,pilot_since,clusters,log_income,urban_share
    CA,California,加利福尼亚州,-119.4,37.2,1.21,39538223,,West,11.02,0.95
    AK,Alaska,阿拉斯加州,-152.4,64.2,1.05,733391,,,10.98,0.64

Columns (only ``id`` is required; the order is free):

- ``id``: the name every other file uses for the region (edge list, observed adoptions, overrides).
- ``name``, ``name_zh``: display names, the second used in Chinese output (default: the id).
- ``lon``, ``lat``: coordinates for charts, in degrees (default: regions on a circle).
- ``capacity``: capacity to reform, median region about 1 (> 0); else ``gdp_per_capita`` gives
  capacity = (gdp / median) ** regions.capacity_elasticity; else every region has capacity 1.
- ``population``: people (>= 0), reported in tables; use a ``log_population`` covariate to model it.
- ``pilot_since``: the date (2016, 2016-05, 2016-05-17 or 2016Q2) a region became a pilot zone (an FTZ),
  ``yes`` for one from the start, empty or ``no`` for none.
- ``clusters``: names of the regional clusters the region belongs to, separated by ``;`` (for
  ``coordination.clusters``).
- any other column is a **covariate**: a number in every row, which ``regions.covariate_effects`` can
  put into the voluntary hazards and ``calibrate.covariates`` into the event-history statistics.

A region with no tie in the edge list is isolated: it learns only from itself and the centre.
Every problem is reported with the file, the line and the column (``RegionsFileError``).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .params import _did_you_mean, shorten

KNOWN = ("id", "name", "name_zh", "lon", "lat", "capacity", "population", "gdp_per_capita", "pilot_since",
         "clusters")
MAX_REGIONS_BYTES = 200_000_000
MAX_REGIONS = 100_000
CELL = 40          # longest cell quoted back in a message
_YES = ("yes", "true", "y", "1")
_NO = ("", "no", "false", "n", "0")
_COVARIATE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RegionsFileError(ValueError):
    """The regions file is missing, malformed or disagrees with the edge list."""


@dataclass(frozen=True)
class RegionsTable:
    """A checked regions file; arrays are in the file's row order."""

    path: Path
    ids: list[str]
    names: list[str]
    names_zh: list[str]
    lon: np.ndarray | None               # None: no coordinates given
    lat: np.ndarray | None
    capacity: np.ndarray | None          # None: not given
    population: np.ndarray | None
    gdp_per_capita: np.ndarray | None
    pilot_since: list[date | str | None]  # a date, "start" or None per region; None for the whole list if absent
    has_pilots: bool
    clusters: list[tuple[str, ...]]
    covariates: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    def cluster_names(self) -> list[str]:
        return sorted({name for names in self.clusters for name in names})

    def membership(self) -> np.ndarray:
        names = self.cluster_names()
        out = np.zeros((self.n, len(names)))
        for r, member_of in enumerate(self.clusters):
            for name in member_of:
                out[r, names.index(name)] = 1.0
        return out


_CACHE: dict[tuple, RegionsTable] = {}


def read_regions(path: str | Path) -> RegionsTable:
    """Read and check a regions file (cached by path, size and modification time)."""
    path = Path(path)
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "does not exist"
        raise RegionsFileError(f"network.regions_file: file {shorten(str(path), 200)} {what}; give the path of a "
                               f"CSV whose first line names the columns, at least id")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = _read(path, stat.st_size)
    return _CACHE[key]


def _fail(path: Path, line: int | None, column: str | None, message: str) -> RegionsFileError:
    where = "".join([f", line {line}" if line else "", f", column {column!r}" if column else ""])
    return RegionsFileError(f"{path}{where}: {message}")


def _read(path: Path, size: int) -> RegionsTable:
    if size > MAX_REGIONS_BYTES:
        raise _fail(path, None, None, f"the file is larger than {MAX_REGIONS_BYTES:,} bytes; give one row per region")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise _fail(path, None, None, "the file is empty; the first line names the columns (at least id), then "
                                      "one row per region") from None
    except UnicodeDecodeError:
        raise _fail(path, None, None, "not a UTF-8 text file; save it as UTF-8 CSV") from None
    except pd.errors.ParserError as error:
        lines = re.search(r"line (\d+), saw (\d+)", str(error))
        detail = f"line {lines[1]} has {lines[2]} fields, more than the header" if lines else "it cannot be read as CSV"
        raise _fail(path, None, None, f"not a CSV regions file ({detail}); one region per line, "
                                      f"cells separated by commas") from None
    with open(path, encoding="utf-8", newline="") as handle:     # pandas renames a repeated column (x.1)
        header = [c.strip() for c in next(csv.reader(handle), [])]
    repeated = [c for k, c in enumerate(header) if c in header[:k]]
    if repeated:
        raise _fail(path, 1, repeated[0][:CELL], "the column appears twice; give each column once")
    table.columns = [str(c).strip() for c in table.columns]
    if "id" not in table.columns:
        hint = _did_you_mean("id", table.columns)
        raise _fail(path, 1, None, f"no column 'id'{hint}; the first line must name the columns, and id (the "
                                   f"region's name in edge lists and data) is required")
    for column in table.columns:
        if column not in KNOWN and not _COVARIATE.match(column):
            raise _fail(path, 1, column[:CELL], "a covariate's name must be letters, digits and '_', "
                                                        "starting with a letter (e.g. log_income)")
    if table.empty:
        raise _fail(path, None, None, "the file has no regions; add one row per region under the header")
    if len(table) > MAX_REGIONS:
        raise _fail(path, None, None, f"{len(table):,} regions are more than the {MAX_REGIONS:,} a model can hold")
    for column in table.columns:
        table[column] = table[column].str.strip()
    ids = table["id"].tolist()
    for row, value in enumerate(ids):
        if not value:
            raise _fail(path, row + 2, "id", "is empty; every region needs an id")
    duplicated = np.flatnonzero(table["id"].duplicated().to_numpy())
    if duplicated.size:
        second = int(duplicated[0])
        first = ids.index(ids[second])
        raise _fail(path, second + 2, "id", f"{shorten(ids[second], CELL)} is already the id of line {first + 2}; "
                                            f"give each region one row and its own id")
    names = [n or i for n, i in zip(table["name"], ids)] if "name" in table.columns else list(ids)
    names_zh = [z or n for z, n in zip(table["name_zh"], names)] if "name_zh" in table.columns else list(names)

    def numbers(column: str, low: float, high: float, allowed: str) -> np.ndarray | None:
        if column not in table.columns:
            return None
        out = np.empty(len(table))
        for row, text in enumerate(table[column]):
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or not low <= value <= high:
                given = "empty" if text == "" else f"{shorten(text, CELL)} is not {allowed}"
                raise _fail(path, row + 2, column, f"{given}; give {allowed} in every row"
                            + ("" if column in KNOWN else " (every column other than id, name, name_zh, lon, lat, "
                               "capacity, population, gdp_per_capita, pilot_since and clusters is a covariate)"))
            out[row] = value
        return out

    lon = numbers("lon", -180, 180, "a longitude from -180 to 180")
    lat = numbers("lat", -90, 90, "a latitude from -90 to 90")
    if (lon is None) != (lat is None):
        raise _fail(path, 1, "lat" if lat is None else "lon", "is missing; give both lon and lat, or neither")
    capacity = numbers("capacity", 1e-6, 1e6, "a positive number (median region about 1)")
    population = numbers("population", 0, 1e11, "a number of people (0 or more)")
    gdp = numbers("gdp_per_capita", 1e-9, 1e12, "a positive number")
    covariates = {c: numbers(c, -1e12, 1e12, "a number") for c in table.columns if c not in KNOWN}
    pilots: list[date | str | None] = [None] * len(table)
    if "pilot_since" in table.columns:
        from .observed import parse_adoption_date

        for row, text in enumerate(table["pilot_since"]):
            if text.lower() in _NO:
                continue
            if text.lower() in _YES:
                pilots[row] = "start"
                continue
            try:
                pilots[row] = parse_adoption_date(text)[0]
            except ValueError:
                raise _fail(path, row + 2, "pilot_since", f"{shorten(text, CELL)} is not a date; give the date the "
                            f"region became a pilot zone (2016, 2016-05, 2016-05-17 or 2016Q2), yes for one from "
                            f"the start, or leave it empty for none") from None
    clusters = [tuple(sorted({p.strip() for p in cell.split(";") if p.strip()})) for cell in table["clusters"]] \
        if "clusters" in table.columns else [()] * len(table)
    return RegionsTable(path=path, ids=ids, names=names, names_zh=names_zh, lon=lon, lat=lat, capacity=capacity,
                        population=population, gdp_per_capita=gdp, pilot_since=pilots,
                        has_pilots="pilot_since" in table.columns, clusters=clusters, covariates=covariates)


def pilot_years(table: RegionsTable, start: date) -> np.ndarray:
    """When each region's pilot zone opens, in years since ``start`` (0 for one open from the start or
    before it, inf for none)."""
    from .timeline import Timeline

    probe = Timeline(start, "month", 1)
    out = np.full(table.n, np.inf)
    for r, since in enumerate(table.pilot_since):
        if since == "start":
            out[r] = 0.0
        elif since is not None:
            out[r] = max(0.0, probe.years_of(since))
    return out


def standardised(values: np.ndarray) -> np.ndarray:
    """z-scores across regions (all 0 when the covariate does not vary)."""
    sd = values.std()
    return np.zeros_like(values) if sd == 0 or not np.isfinite(sd) else (values - values.mean()) / sd
