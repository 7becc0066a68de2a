"""Build examples/us-states/ (the 50 US states and their land borders) from two pinned npm packages.

How to run it (developer tool, not shipped; needs npm on the PATH and the project's venv only):

    .venv/bin/python tools/build_us_states.py                 # npm pack the packages, write the CSVs
    .venv/bin/python tools/build_us_states.py --source DIR    # DIR holds the two .tgz files already
    .venv/bin/python tools/build_us_states.py --check         # rebuild in memory, compare with the files

Why: a worked example of a world that is not China, built the way a user would build their own, from
public files by code, with no number typed by hand. The sources (versions and sha512 pinned in PACKAGES;
a tarball whose hash differs stops the script):

* us-atlas 3.0.1 (ISC), ``states-10m.json``: TopoJSON of the US Census Bureau's cartographic boundary
  files, 2017 edition, unprojected, state ``id`` = two-digit FIPS code. The state polygons were merged
  from the counties, so two states that share a border share the same arcs.
* vega-datasets 3.2.1 (BSD-3-Clause code; each file keeps its producer's terms, see datapackage.json):
  ``population_engineers_hurricanes.csv`` (population, engineers; keyed by FIPS), ``us-state-capitals.json``
  (capitol coordinates, USGS National Map), ``income.json`` (household income brackets, ACS 2013 3-year,
  US Census Bureau) and ``obesity.json``, read only for its FIPS -> postal code pairs.

What this script makes of them (rows: the 50 states; DC, Puerto Rico and the territories are dropped):

* regions.csv: ``id`` (postal code), ``name``, ``name_zh`` (Xinhua rendering, the only hand-written
  column: a translation, not data), ``lon``/``lat`` (the state capitol), ``population``,
  ``log_population`` (natural log), ``median_household_income`` (US dollars, the median of the ACS
  bracket shares by linear interpolation inside the bracket that holds it), ``engineers_per_capita``
  (the package's ``engineers`` column) and ``capacity`` = (median_household_income / its median over the
  50 states) ** 0.5: resources relative to the median state with elasticity 0.5.
* edges.csv: ``source,target`` (postal codes, source < target, sorted), one row per land border. Two
  states border when the arcs their polygons share add up to at least MIN_SHARED_KM (rook contiguity):
  a point contact (Four Corners) shares no arc, and the one-quantum arc at the California-Nevada-Oregon
  tripoint (0.1 km) is an artefact of quantisation that the threshold ignores. The cartographic
  boundaries end at the shoreline, so borders that run only through water (Michigan-Minnesota in Lake
  Superior, Illinois-Michigan in Lake Michigan, New York-Rhode Island in Block Island Sound) are not
  ties; river borders are, since rivers lie inside the boundaries. Alaska and Hawaii have no ties.

The script then checks the result against well-known facts (DEGREES to LAND below, check()) and stops
if one fails.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import itertools
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "us-states"

# name -> (version, the registry's sha512 integrity of the tarball)
PACKAGES = {
    "us-atlas": ("3.0.1", "sha512-wEIZCq0ImPvGblTd8gZMqNNCPkQshugMUG/8nkSWXb02+XqNFREg9atHOKP9w6pr"
                          "LZTpqcLhSvdBW81MkV3/0Q=="),
    "vega-datasets": ("3.2.1", "sha512-lTSwZA6yq6qSU2YZm+6bqILiIvTPPxn4itir7jPGFmHIdPvUfQ9pCzzcrklY"
                               "ywMJgLUbaIeSkZQdiJd6wBxPug=="),
}
MIN_SHARED_KM = 1.0         # shorter shared arcs are quantisation artefacts at tripoints, not borders
EARTH_RADIUS_KM = 6371.0088
CAPACITY_ELASTICITY = 0.5

# Chinese names as Xinhua (新华社) renders them, by postal code: a translation, written by hand
NAME_ZH = {
    "AL": "亚拉巴马州", "AK": "阿拉斯加州", "AZ": "亚利桑那州", "AR": "阿肯色州", "CA": "加利福尼亚州",
    "CO": "科罗拉多州", "CT": "康涅狄格州", "DE": "特拉华州", "FL": "佛罗里达州", "GA": "佐治亚州",
    "HI": "夏威夷州", "ID": "爱达荷州", "IL": "伊利诺伊州", "IN": "印第安纳州", "IA": "艾奥瓦州",
    "KS": "堪萨斯州", "KY": "肯塔基州", "LA": "路易斯安那州", "ME": "缅因州", "MD": "马里兰州",
    "MA": "马萨诸塞州", "MI": "密歇根州", "MN": "明尼苏达州", "MS": "密西西比州", "MO": "密苏里州",
    "MT": "蒙大拿州", "NE": "内布拉斯加州", "NV": "内华达州", "NH": "新罕布什尔州", "NJ": "新泽西州",
    "NM": "新墨西哥州", "NY": "纽约州", "NC": "北卡罗来纳州", "ND": "北达科他州", "OH": "俄亥俄州",
    "OK": "俄克拉何马州", "OR": "俄勒冈州", "PA": "宾夕法尼亚州", "RI": "罗得岛州", "SC": "南卡罗来纳州",
    "SD": "南达科他州", "TN": "田纳西州", "TX": "得克萨斯州", "UT": "犹他州", "VT": "佛蒙特州",
    "VA": "弗吉尼亚州", "WA": "华盛顿州", "WV": "西弗吉尼亚州", "WI": "威斯康星州", "WY": "怀俄明州",
}

# Well-known facts the ties must reproduce (checked by check()):
DEGREES = {"TN": 8, "MO": 8, "KY": 7, "ME": 1, "AK": 0, "HI": 0, "CO": 6, "AZ": 4, "NM": 4, "UT": 5}
CONTIGUOUS_TIES = 105       # Knuth's contiguous-usa.dat (Stanford GraphBase) has 107 pairs, 2 of them DC's
POINT_CONTACTS = [("AZ", "CO"), ("NM", "UT")]                   # Four Corners: a shared point, no tie
WATER_ONLY = [("MI", "MN"), ("IL", "MI"), ("NY", "RI")]         # lake or sea borders: no tie
LAND = [("MI", "WI"), ("IN", "MI"), ("MI", "OH"), ("DE", "NJ"), ("MD", "VA")]   # land or river: a tie


def npm_pack(dest: Path) -> dict[str, Path]:
    """Download each pinned package's tarball into dest with ``npm pack``; return name -> tarball path."""
    tarballs = {}
    for name, (version, _) in PACKAGES.items():
        result = subprocess.run(["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(dest)],
                                check=True, capture_output=True, text=True)
        tarballs[name] = dest / json.loads(result.stdout)[0]["filename"]
    return tarballs


def found(source: Path) -> dict[str, Path]:
    """The pinned tarballs in a folder given with --source, named as npm pack names them."""
    tarballs = {name: source / f"{name}-{version}.tgz" for name, (version, _) in PACKAGES.items()}
    missing = [str(path) for path in tarballs.values() if not path.is_file()]
    if missing:
        sys.exit(f"not found: {', '.join(missing)} (npm pack NAME@VERSION writes them)")
    return tarballs


def verified(tarballs: dict[str, Path]) -> dict[str, tarfile.TarFile]:
    """Open each tarball after checking its sha512 against the pinned integrity, so a rebuild reads the
    same bytes whatever the registry serves later."""
    opened = {}
    for name, path in tarballs.items():
        data = path.read_bytes()
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        if integrity != PACKAGES[name][1]:
            sys.exit(f"{path.name}: sha512 differs from the pinned one; the package changed")
        opened[name] = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    return opened


def member(archive: tarfile.TarFile, path: str) -> bytes:
    """One file of an npm tarball (npm puts every file under package/), read without unpacking."""
    return archive.extractfile(f"package/{path}").read()


def arc_lengths_km(topology: dict) -> np.ndarray:
    """Great-circle length of each arc of a quantised TopoJSON topology (delta-encoded positions)."""
    scale, translate = np.array(topology["transform"]["scale"]), np.array(topology["transform"]["translate"])
    lengths = []
    for arc in topology["arcs"]:
        lon, lat = np.radians(np.cumsum(np.array(arc, dtype=float), axis=0) * scale + translate).T
        h = np.sin(np.diff(lat) / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
        lengths.append(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h)).sum())
    return np.array(lengths)


def arcs_of(geometry: dict) -> set[int]:
    """The arc indices a Polygon or MultiPolygon is made of (a reversed arc ~i counts as arc i)."""
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    return {a if a >= 0 else ~a for polygon in polygons for ring in polygon for a in ring}


def points_of(topology: dict, geometry: dict) -> set[tuple[int, int]]:
    """The quantised positions on a state's boundary, to tell a point contact from no contact at all."""
    points = set()
    for a in arcs_of(geometry):
        points.update(map(tuple, np.cumsum(np.array(topology["arcs"][a]), axis=0).tolist()))
    return points


def shared_km(topology: dict, states: dict[str, dict]) -> dict[tuple[str, str], float]:
    """Length of the border each pair of states shares: the summed length of the arcs both use."""
    owners = defaultdict(set)
    for code, geometry in states.items():
        for a in arcs_of(geometry):
            owners[a].add(code)
    lengths = arc_lengths_km(topology)
    shared = defaultdict(float)
    for a, codes in owners.items():
        for pair in itertools.combinations(sorted(codes), 2):
            shared[pair] += lengths[a]
    return dict(shared)


def median_income(brackets: pd.DataFrame) -> float:
    """Median household income from one state's bracket shares: linear interpolation inside the bracket
    where the cumulative share passes one half. The shares are rounded to 0.001 in the source, so they
    are rescaled to sum to 1 first. Brackets are '<10000', 'A to B' (B inclusive) and '200000+'."""
    def bounds(group: str) -> tuple[float, float]:
        if group.startswith("<"):
            return 0.0, float(group[1:])
        if group.endswith("+"):
            return float(group[:-1]), np.inf
        low, high = group.split(" to ")
        return float(low), float(high) + 1

    rows = sorted((bounds(g), p) for g, p in zip(brackets["group"], brackets["pct"]))
    total, below = sum(p for _, p in rows), 0.0
    for (low, high), p in rows:
        share = p / total
        if below + share >= 0.5:
            return low + (0.5 - below) / share * (high - low)
        below += share
    raise ValueError("bracket shares do not reach one half")


def tables(archives: dict[str, tarfile.TarFile]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """regions and edges from the package files (see the module docstring for every column)."""
    vega = archives["vega-datasets"]
    codes = {int(row["id"]): row["state"] for row in json.loads(member(vega, "data/obesity.json"))}
    assert len(codes) == 50 and set(codes.values()) == set(NAME_ZH), "obesity.json no longer lists the 50 states"

    people = pd.read_csv(io.BytesIO(member(vega, "data/population_engineers_hurricanes.csv")))
    people = people[people["id"].isin(codes)].set_index("id")
    capitals = pd.DataFrame(json.loads(member(vega, "data/us-state-capitals.json"))).set_index("state")
    income = pd.DataFrame(json.loads(member(vega, "data/income.json")))
    income = income[income["id"].isin(codes)]
    median = income.groupby("id")[["group", "pct"]].apply(median_income)
    topology = json.loads(member(archives["us-atlas"], "states-10m.json"))
    polygons = {int(g["id"]): g for g in topology["objects"]["states"]["geometries"] if int(g["id"]) in codes}

    regions = pd.DataFrame({"fips": sorted(codes, key=codes.get)})
    regions["id"] = regions["fips"].map(codes)
    regions["name"] = regions["fips"].map(people["state"])
    # the four files must name every state alike, or a join went wrong
    for other in (regions["fips"].map(lambda f: polygons[f]["properties"]["name"]),
                  regions["fips"].map(income.groupby("id")["name"].first())):
        assert other.tolist() == regions["name"].tolist(), "the files name the states differently"
    assert set(capitals.index) == set(regions["name"]), "us-state-capitals.json lists other states"
    regions["name_zh"] = regions["id"].map(NAME_ZH)
    regions["lon"] = regions["name"].map(capitals["lon"]).round(4)
    regions["lat"] = regions["name"].map(capitals["lat"]).round(4)
    regions["population"] = regions["fips"].map(people["population"]).astype(int)
    regions["log_population"] = np.log(regions["population"]).round(6)
    regions["median_household_income"] = regions["fips"].map(median).round().astype(int)
    regions["engineers_per_capita"] = regions["fips"].map(people["engineers"])
    regions["capacity"] = ((regions["median_household_income"] / regions["median_household_income"].median())
                           ** CAPACITY_ELASTICITY).round(6)

    shared = shared_km(topology, {codes[f]: g for f, g in polygons.items()})
    edges = pd.DataFrame(sorted(pair for pair, km in shared.items() if km >= MIN_SHARED_KM),
                         columns=["source", "target"])
    check(regions, edges, shared, {codes[f]: points_of(topology, g) for f, g in polygons.items()})
    return regions.drop(columns="fips"), edges


def check(regions: pd.DataFrame, edges: pd.DataFrame, shared: dict, points: dict) -> None:
    """Stop unless the tables agree with well-known facts: 50 states with all values present, the
    degrees in DEGREES, CONTIGUOUS_TIES ties among the 48 contiguous states forming one connected
    component, the Four Corners pairs touching at a point without a tie, the water-only borders absent
    and the land borders in LAND present. Prints the shortest ties for the README."""
    graph = nx.Graph()
    graph.add_nodes_from(regions["id"])
    graph.add_edges_from(edges.itertuples(index=False))
    contiguous = set(regions["id"]) - {"AK", "HI"}
    pairs = set(map(tuple, edges.to_numpy()))
    failures = []
    if len(regions) != 50 or regions.isna().any().any():
        failures.append("not 50 complete rows")
    failures += [f"{code} has {graph.degree(code)} neighbours, not {n}" for code, n in DEGREES.items()
                 if graph.degree(code) != n]
    if graph.subgraph(contiguous).number_of_edges() != CONTIGUOUS_TIES:
        failures.append(f"{graph.subgraph(contiguous).number_of_edges()} contiguous ties, not {CONTIGUOUS_TIES}")
    if not nx.is_connected(graph.subgraph(contiguous)):
        failures.append("the 48 contiguous states are not one connected component")
    failures += [f"{a}-{b} should touch at a point only" for a, b in POINT_CONTACTS
                 if (a, b) in pairs or (a, b) in shared or not points[a] & points[b]]
    failures += [f"{a}-{b} is a water border, not a tie" for a, b in WATER_ONLY if (a, b) in pairs]
    failures += [f"{a}-{b} should be a tie" for a, b in LAND if (a, b) not in pairs]
    if failures:
        sys.exit("checks failed: " + "; ".join(failures))
    shortest = sorted((km, f"{a}-{b}") for (a, b), km in shared.items() if (a, b) in pairs)[:3]
    print(f"checks passed: {len(regions)} states, {len(edges)} ties, isolated: "
          f"{', '.join(sorted(n for n in graph if graph.degree(n) == 0))}; shortest ties: "
          + ", ".join(f"{pair} {km:.0f} km" for km, pair in shortest))


def csv_bytes(table: pd.DataFrame) -> bytes:
    """A table as the UTF-8 CSV bytes written to disk (LF line ends), so --check can compare bytes."""
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="a folder holding the pinned .tgz files (default: npm pack)")
    parser.add_argument("--check", action="store_true", help="compare with the files in examples/us-states/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        tarballs = found(args.source) if args.source else npm_pack(Path(temp))
        regions, edges = tables(verified(tarballs))
    files = {"regions.csv": csv_bytes(regions), "edges.csv": csv_bytes(edges)}
    if args.check:
        stale = [name for name, data in files.items()
                 if not (OUT / name).is_file() or (OUT / name).read_bytes() != data]
        if stale:
            sys.exit(f"examples/us-states/ differs from what the packages give: {', '.join(stale)}")
        print("examples/us-states/ is what tools/build_us_states.py produces")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data.splitlines()) - 1} rows")


if __name__ == "__main__":
    main()
