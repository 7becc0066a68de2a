"""Choropleth maps of China: a value per province or prefecture-level region, on the shipped boundaries.

``choropleth(ax, values, level=...)`` fills the regions the values name, draws the territory the model
does not cover (Taiwan, Hong Kong, Macao; any region missing from ``values``) in grey, hatches regions
whose value is missing, outlines FTZ regions, and adds the South China Sea islands and the maritime
line in an inset at the lower right, as maps of China published in China show them. Geometry comes
from :mod:`diffusion.geo`, projected on its Albers equal-area projection (numpy and matplotlib only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path

from . import geo
from .i18n import region_name, t

UNCOVERED_GREY = "0.80"
MISSING_FACE, MISSING_HATCH = "0.94", "0.62"
FTZ_EDGE = "#c0504d"
MAIN_SOUTH = 17.6       # degrees north: the main map stops below Hainan, the inset shows the rest
INSET_LONLAT = ((107.6, 2.8), (123.2, 24.8))   # the South China Sea inset: lon/lat corners
INSET_HEIGHT = 0.31                             # of the map's height
OUTLINE_KM2 = 400.0                             # islands smaller than this get no FTZ outline
# province labels moved off small or crowded shapes (km on the projection), drawn with a white halo
LABEL_NUDGE_KM = {"Beijing": (-20, 70), "Tianjin": (95, 0), "Shanghai": (110, -10), "Hebei": (-40, -70),
                  "Ningxia": (-15, 0), "Hainan": (0, -5), "Gansu": (-20, 40)}


@dataclass(frozen=True)
class _Projected:
    codes: np.ndarray
    paths: list[Path]     # every ring: the fills
    outlines: list[Path]  # rings of at least OUTLINE_KM2: the FTZ outlines (no red rings round islets)
    labels: np.ndarray    # (shapes, 2) km


def _ring_path(rings: list[np.ndarray]) -> Path:
    vertices, codes = [], []
    for ring in rings:
        vertices.append(np.vstack([ring, ring[:1]]))
        ring_codes = np.full(len(ring) + 1, Path.LINETO, dtype=np.uint8)
        ring_codes[0], ring_codes[-1] = Path.MOVETO, Path.CLOSEPOLY
        codes.append(ring_codes)
    return Path(np.concatenate(vertices), np.concatenate(codes))


def _area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


@cache
def _projected(level: str) -> _Projected:
    """Each shape of a level as one compound path on the projection (exteriors and holes)."""
    shapes = geo.shapes(level)
    x, y = geo.project(shapes.lonlat[:, 0], shapes.lonlat[:, 1])
    xy = np.column_stack([x, y])
    paths, outlines = [], []
    for s in range(len(shapes.codes)):
        rings = [xy[shapes.start[k]:shapes.start[k + 1]] for k in np.flatnonzero(shapes.shape == s)]
        paths.append(_ring_path(rings))
        big = [ring for ring in rings if _area(ring) >= OUTLINE_KM2]
        outlines.append(_ring_path(big or rings[:1]))
    labels = np.column_stack(geo.project(shapes.label_lonlat[:, 0], shapes.label_lonlat[:, 1]))
    return _Projected(codes=shapes.codes, paths=paths, outlines=outlines, labels=labels)


def _extent(lon_lat_box) -> tuple[float, float, float, float]:
    """x0, x1, y0, y1 (km) of the projected box of lon/lat corners (its edges sampled: the projection bends them)."""
    (lon0, lat0), (lon1, lat1) = lon_lat_box
    lon = np.r_[np.linspace(lon0, lon1, 50), np.full(50, lon1), np.linspace(lon1, lon0, 50), np.full(50, lon0)]
    lat = np.r_[np.full(50, lat0), np.linspace(lat0, lat1, 50), np.full(50, lat1), np.linspace(lat1, lat0, 50)]
    x, y = geo.project(lon, lat)
    return float(x.min()), float(x.max()), float(y.min()), float(y.max())


@cache
def _layout(inset: bool) -> tuple[tuple[float, float, float, float], list[float] | None]:
    """The main map's x0, x1, y0, y1 (km) and the inset's [left, bottom, width, height] in axes fractions.

    The main map holds the mainland, Hainan and Taiwan (every province point north of MAIN_SOUTH); the
    inset sits east of Taiwan at the bottom, the map widened where it needs the room."""
    shapes = geo.shapes("province")
    north = shapes.lonlat[shapes.lonlat[:, 1] >= MAIN_SOUTH]
    x, y = geo.project(north[:, 0], north[:, 1])
    pad = 0.015 * (x.max() - x.min())
    x0, x1, y0, y1 = x.min() - pad, x.max() + pad, y.min() - pad, y.max() + pad
    if not inset:
        return (float(x0), float(x1), float(y0), float(y1)), None
    taiwan = np.vstack(shapes.rings(710000))
    taiwan_east = geo.project(taiwan[:, 0], taiwan[:, 1])[0].max()
    sx0, sx1, sy0, sy1 = _extent(INSET_LONLAT)
    height_km = INSET_HEIGHT * (y1 - y0)
    width_km = height_km * (sx1 - sx0) / (sy1 - sy0)
    left_km = taiwan_east + 2 * pad
    x1 = max(x1, left_km + width_km + 0.3 * pad)
    return (float(x0), float(x1), float(y0), float(y1)), [
        float((left_km - x0) / (x1 - x0)), 0.0, float(width_km / (x1 - x0)), INSET_HEIGHT]


def _draw_shapes(ax, values: pd.Series, level: str, cmap, norm, edge_width: float, ftz: set[str],
                 lang: str, border_width: float = 0.5) -> dict[str, bool]:
    """The fills of one axes (main map or inset); returns which legend entries were drawn."""
    codes = geo.region_codes(level)
    known = {codes[name]: value for name, value in values.items() if name in codes}
    projected = _projected(level)
    coloured, coloured_values, missing, uncovered, ftz_paths = [], [], [], [], []
    ftz_codes = {codes[name] for name in ftz if name in codes}
    for code, path, outline in zip(projected.codes, projected.paths, projected.outlines):
        if code in known:
            if np.isfinite(known[code]):
                coloured.append(path)
                coloured_values.append(known[code])
            else:
                missing.append(path)
        else:
            uncovered.append(path)
        if code in ftz_codes:
            ftz_paths.append(outline)
    if level == "prefecture":   # Taiwan, Hong Kong and Macao have no prefectures in the data: draw them whole
        province = _projected("province")
        uncovered += [p for c, p in zip(province.codes, province.paths) if c in geo.UNCOVERED]
    else:
        uncovered = [p for c, p in zip(projected.codes, projected.paths) if c not in known]
    edge = "white"
    if coloured:
        fills = PathCollection(coloured, cmap=cmap, norm=norm, edgecolors=edge, linewidths=edge_width, zorder=2)
        fills.set_array(np.asarray(coloured_values, dtype=float))
        ax.add_collection(fills)
    if missing:
        ax.add_collection(PathCollection(missing, facecolors=MISSING_FACE, edgecolors=edge, linewidths=edge_width,
                                         hatch="//////", hatchcolor=MISSING_HATCH, zorder=2))
    ax.add_collection(PathCollection(uncovered, facecolors=UNCOVERED_GREY, edgecolors=edge,
                                     linewidths=edge_width, zorder=2))
    if level == "prefecture" or border_width < 0.5:   # provincial borders over the city mosaic, and in the
        # inset round every island, so that the islets show as dots
        ax.add_collection(PathCollection(_projected("province").paths, facecolors="none", edgecolors="0.25",
                                         linewidths=border_width, zorder=3))
    if ftz_paths:
        ax.add_collection(PathCollection(ftz_paths, facecolors="none", edgecolors=FTZ_EDGE,
                                         linewidths=0.9 if level == "province" else 0.8, zorder=4))
    return {"missing": bool(missing), "ftz": bool(ftz_paths), "uncovered": bool(uncovered)}


def _maritime_line(ax, width: float, within=None) -> None:
    """The dashes of the maritime line; with ``within`` (x0, x1, y0, y1), only those wholly inside it."""
    for dash in geo.maritime_line():
        x, y = geo.project(dash[:, 0], dash[:, 1])
        if within is None or (x.min() >= within[0] and x.max() <= within[1] and y.min() >= within[2]
                              and y.max() <= within[3]):
            ax.plot(x, y, color="0.25", lw=width, solid_capstyle="butt", zorder=3)


def _province_labels(ax, values: pd.Series, lang: str, fontsize: float) -> None:
    projected = _projected("province")
    codes = geo.region_codes("province")
    halo = [patheffects.withStroke(linewidth=1.6, foreground="white")]
    for name in values.index:
        if name not in codes:
            continue
        (s,) = np.flatnonzero(projected.codes == codes[name])
        dx, dy = LABEL_NUDGE_KM.get(name, (0, 0))
        x, y = projected.labels[s]
        ax.text(x + dx, y + dy, region_name(name, lang), fontsize=fontsize, ha="center", va="center",
                color="0.1", path_effects=halo, zorder=6)


def _taiwan_label(ax, lang: str, fontsize: float) -> None:
    projected = _projected("province")
    (taiwan,) = np.flatnonzero(projected.codes == 710000)
    south = projected.paths[taiwan].vertices[:, 1].min()
    ax.text(projected.labels[taiwan][0], south - 25, geo.UNCOVERED[710000] if lang == "en" else
            geo.UNCOVERED_ZH[710000], fontsize=fontsize, ha="center", va="top", color="0.3", zorder=6)


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_aspect("equal")


def choropleth(ax, values: pd.Series, level: str = "province", cmap="viridis_r", label: str | None = None,
               lang: str = "en", ftz=(), missing_label: str | None = None, labels: bool | None = None,
               inset: bool = True, norm=None):
    """Fill each region of ``values`` (indexed by the model's region names) by its value on ``ax``.

    Regions named with a NaN value are hatched (legend: ``missing_label``, by default "no value");
    regions not named, and Taiwan, Hong Kong and Macao, are grey ("not covered by the model"); regions
    in ``ftz`` are outlined. ``label`` titles a horizontal colour bar at the lower left. ``labels``
    writes the provinces' short names (default: on at province level, off for prefectures). Returns
    the mappable of the fills (for a colour bar of one's own: pass ``label=None``)."""
    if level not in geo.LEVELS:
        raise ValueError(f"level must be one of {', '.join(geo.LEVELS)} (given: {level!r})")
    values = pd.Series(values, dtype=float)
    cmap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    finite = values[np.isfinite(values)]
    if norm is None:
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        norm = matplotlib.colors.Normalize(low, high if high > low else low + 1.0)
    font = matplotlib.rcParams["font.size"]
    edge_width = 0.45 if level == "province" else 0.15
    drawn = _draw_shapes(ax, values, level, cmap, norm, edge_width, set(ftz), lang)
    (x0, x1, y0, y1), inset_box = _layout(inset)
    _maritime_line(ax, 1.0, within=(x0, x1, y0, y1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    _bare(ax)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if labels if labels is not None else level == "province":
        _province_labels(ax, values, lang, 0.62 * font)
    if labels is not False:
        _taiwan_label(ax, lang, 0.62 * font)
    if inset:
        _south_china_sea(ax, inset_box, values, level, cmap, norm, edge_width, lang, font)
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    if label is not None and len(finite):
        cax = ax.inset_axes([0.03, 0.07, 0.26, 0.028])
        bar = ax.figure.colorbar(mappable, cax=cax, orientation="horizontal")
        bar.set_label(label, fontsize=0.8 * font, labelpad=2)
        bar.ax.tick_params(labelsize=0.75 * font, length=2, pad=1.5)
        bar.outline.set_linewidth(0.4)
    handles = []
    if drawn["ftz"]:
        handles.append(Patch(facecolor="none", edgecolor=FTZ_EDGE, lw=0.9, label=t("ftz_marker", lang)))
    if drawn["missing"]:
        handles.append(Patch(facecolor=MISSING_FACE, edgecolor=MISSING_HATCH, hatch="//////", lw=0.4,
                             label=missing_label or t("map_no_value", lang)))
    handles.append(Patch(facecolor=UNCOVERED_GREY, edgecolor="none", label=t("map_uncovered", lang)))
    if level == "prefecture":
        handles.append(Line2D([], [], color="0.25", lw=0.6, label=t("map_province_border", lang)))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.02, 0.15), fontsize=0.75 * font,
              frameon=False, handlelength=1.4, handleheight=0.9, borderaxespad=0)
    return mappable


def _south_china_sea(ax, box, values, level, cmap, norm, edge_width, lang, font) -> None:
    """The inset of the South China Sea islands, in the lower right corner of the main map."""
    x0, x1, y0, y1 = _extent(INSET_LONLAT)
    inset = ax.inset_axes(box, zorder=7)
    _draw_shapes(inset, values, level, cmap, norm, edge_width * 0.6, set(), lang, border_width=0.3)
    _maritime_line(inset, 0.8)
    inset.set_xlim(x0, x1)
    inset.set_ylim(y0, y1)
    _bare(inset)
    inset.set_facecolor("white")
    for spine in inset.spines.values():
        spine.set_visible(True)
        spine.set_linewidth(0.6)
        spine.set_color("0.3")
    inset.text(0.5, 0.04, t("map_inset", lang), transform=inset.transAxes, ha="center", va="bottom",
               fontsize=0.6 * font, color="0.2")

