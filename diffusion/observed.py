"""Observed adoptions: a plain table ``region, policy, adopted[, category]`` read, checked and put on a timeline.

Any set of jurisdictions can be used. The regions are those of the scenario's network: its regions file
and edge list (``network.regions_file``, ``network.edge_list``), or a synthetic graph's; ``--edges``
replaces the scenario's ties; the 31 provinces by default (names as in ``data/provinces.csv``, English
or Chinese). A region of the network that never appears in the table simply never adopted.

``adopted`` is a year (``2016``), a month (``2016-05``), a day (``2016-05-17``) or a quarter
(``2016Q2``). When every date is a bare year the data are observed in years; otherwise in the
scenario's period (a quarter by default). Period 1 holds the earliest adoption; the horizon ends with
the period of the latest one. The model always runs in the scenario's own period, so its per-step
rates keep their meaning; with yearly data its adoptions are counted by year before comparison.

Every problem is reported like a scenario-file problem: the file, the line, the column, what was
given and what is expected (``ObservedDataError``, a ``ValueError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from . import china
from .innovations import InnovationPlan
from .params import _did_you_mean, shorten
from .timeline import Timeline

REQUIRED = ("region", "policy", "adopted")
OPTIONAL = ("category",)
DATE_FORMS = "a year (2016), a month (2016-05), a day (2016-05-17) or a quarter (2016Q2)"
MAX_OBSERVED_BYTES = 200_000_000
CELL_CHARS = 40     # longest cell quoted back in a message: the path may name any file


class ObservedDataError(ValueError):
    """The observed adoption table (or its edge list) is missing, malformed or does not fit the network."""


@dataclass(frozen=True)
class ObservedAdoptions:
    """Observed first adoptions on a timeline, over a fixed set of regions.

    ``steps`` is the regions x policies matrix of adoption steps (0 = never adopted within the horizon).
    """

    path: Path
    regions: list[str]
    policies: list[str]
    categories: tuple[str, ...] | None
    steps: np.ndarray
    timeline: Timeline
    network: dict
    yearly: bool

    @property
    def birth(self) -> np.ndarray:
        """Step of each policy's first adoption."""
        return adoption_times(self.steps, self.timeline.steps)[1]

    @property
    def origin(self) -> np.ndarray:
        """Index of each policy's first adopter (the first listed when several adopt in the same period)."""
        return adoption_times(self.steps, self.timeline.steps)[0].argmin(axis=0)

    def plan(self, regions: list[str], substeps: int = 1) -> InnovationPlan:
        """The policies as innovations of a model whose regions are ``regions`` (same names, any order).

        ``substeps`` model steps make one observed period (4 quarters in a year); a policy is born in
        the first model step of the period of its first adoption.
        """
        index = {name: i for i, name in enumerate(regions)}
        origin = np.array([index[self.regions[o]] for o in self.origin], dtype=np.int64)
        birth = (self.birth.astype(np.int64) - 1) * substeps + 1
        return InnovationPlan(birth_step=birth, origin=origin, category=self.categories)

    def aligned(self, regions: list[str]) -> np.ndarray:
        """The adoption-step matrix with rows in the order of ``regions``."""
        index = {name: i for i, name in enumerate(self.regions)}
        return self.steps[[index[name] for name in regions]]

    def table(self) -> pd.DataFrame:
        """Tidy observed adoptions: region, policy, step, period, date."""
        cols, rows = np.nonzero(self.steps.T)       # policy by policy, in the order of the data
        steps = self.steps[rows, cols]
        table = pd.DataFrame({"region": np.array(self.regions)[rows], "policy": np.array(self.policies)[cols],
                              "step": steps, "period": [self.timeline.label(s) for s in steps],
                              "date": self.timeline.dates(steps).to_numpy()})
        if self.categories is not None:
            table["category"] = np.array(self.categories)[cols]
        return table


# ------------------------------------------------------------------------------------------- dates
_YEAR = re.compile(r"^(\d{4})(?:\.0)?$")
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_DAY = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def parse_adoption_date(text: str) -> tuple[date, bool]:
    """(first day of the period named, whether it was a bare year); ValueError with the accepted forms."""
    text = str(text).strip()
    if match := _YEAR.match(text):
        return date(int(match[1]), 1, 1), True
    if match := _QUARTER.match(text):
        return date(int(match[1]), 3 * int(match[2]) - 2, 1), False
    if match := _MONTH.match(text):
        return date(int(match[1]), int(match[2]), 1), False
    if match := _DAY.match(text):
        day = date(int(match[1]), int(match[2]), int(match[3]))
        return day.replace(day=1), False
    raise ValueError(text)


def _parse_dates(path: Path, column: pd.Series) -> tuple[list[date], np.ndarray]:
    days, yearly = [], []
    for position, value in enumerate(column):
        try:
            day, bare = parse_adoption_date(value)
        except ValueError:
            raise ObservedDataError(f"{path}: line {position + 2}, column 'adopted': {shorten(value, CELL_CHARS)} "
                                    f"is not a date; "
                                    f"give {DATE_FORMS}") from None
        if not 1900 <= day.year <= 2200:
            raise ObservedDataError(f"{path}: line {position + 2}, column 'adopted': year {day.year} is out of range "
                                    f"(1900-2200)")
        days.append(day)
        yearly.append(bare)
    return days, np.array(yearly)


# ------------------------------------------------------------------------------------------ reading
def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "file does not exist"
        raise ObservedDataError(f"{path}: {what}; give a CSV file with columns region,policy,adopted[,category]")
    if path.stat().st_size > MAX_OBSERVED_BYTES:
        raise ObservedDataError(f"{path}: the file is larger than {MAX_OBSERVED_BYTES:,} bytes; give a CSV file "
                                f"with columns region,policy,adopted[,category], one adoption per line")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise ObservedDataError(f"{path}: the file is empty; expected a header region,policy,adopted[,category] "
                                f"and one row per adoption") from None
    except UnicodeDecodeError:
        raise ObservedDataError(f"{path}: not a UTF-8 text file; expected a CSV with columns "
                                f"region,policy,adopted[,category]") from None
    except pd.errors.ParserError as error:
        lines = re.search(r"line (\d+), saw (\d+)", str(error))
        detail = f"line {lines[1]} has {lines[2]} fields" if lines else "it cannot be read as CSV"
        raise ObservedDataError(f"{path}: not a readable CSV file ({detail}); expected UTF-8 with columns "
                                f"region,policy,adopted[,category]") from None
    table.columns = [str(c).strip() for c in table.columns]
    known = REQUIRED + OPTIONAL
    for column in table.columns:
        if column not in known:
            raise ObservedDataError(f"{path}: unknown column {shorten(column, CELL_CHARS)}{_did_you_mean(column, known)}; "
                                    f"the columns are region, policy, adopted and optionally category")
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ObservedDataError(f"{path}: missing column(s) {', '.join(missing)}; the first line must name the "
                                f"columns region,policy,adopted[,category]")
    if table.empty:
        raise ObservedDataError(f"{path}: the table has no rows; add one row per adoption: region,policy,adopted")
    for column in table.columns:
        table[column] = table[column].str.strip()
        blank = np.flatnonzero((table[column] == "").to_numpy())
        if blank.size:
            raise ObservedDataError(f"{path}: line {int(blank[0]) + 2}, column {column!r} is empty; every row needs "
                                    f"a region, a policy and an adoption date")
    return table


def _network_regions(path: Path, names: list[str], edges: Path | None, params=None) -> tuple[list[str], dict]:
    """The regions of the network the data live on, and the network parameters that build it: those of
    ``--edges`` (with the scenario's regions file, if it names one), else the scenario's own network
    (``params``: its edge list, regions file or synthetic graph), else the 31 provinces."""
    from .network import read_edge_list

    net = None if params is None else params.network
    own = net is not None and (net.kind != "provinces" or net.regions_file)
    if edges is not None:
        try:
            table = read_edge_list(edges)
        except ValueError as error:
            raise ObservedDataError(str(error).replace("network.edge_list: ", "--edges: ")) from None
        network = {"kind": "edge_list", "edge_list": str(Path(edges).resolve())}
        if net is not None and net.regions_file and net.kind == "edge_list":
            network["regions_file"] = net.regions_file
            regions = _world_names(params.model_copy(update={"network": net.model_copy(update=network)}))
        else:
            regions = list(dict.fromkeys(list(table["source"]) + list(table["target"])))
        where, hint = f"the edge list {str(edges)!r}", "add it to the edge list"
    elif own:
        regions = _world_names(params)
        network = {"kind": net.kind, "edge_list": net.edge_list, "regions_file": net.regions_file}
        source = net.regions_file or net.edge_list
        where = f"the scenario's network ({net.kind}{': ' + str(source) if source else ''})"
        hint = "add it to the regions file" if net.regions_file else "use the regions of the scenario's network"
    else:
        regions = china.provinces()["name_en"].tolist()
        network = {"kind": "provinces"}
        where = "the 31 provinces (data/provinces.csv)"
        hint = ("use a province name as in data/provinces.csv, or give your own regions in the scenario "
                "(network.regions_file, network.edge_list) or their ties with --edges")
    unknown = [n for n in dict.fromkeys(names) if n not in regions]
    if unknown:
        line = names.index(unknown[0]) + 2
        raise ObservedDataError(f"{path}: line {line}, column 'region': {shorten(unknown[0], CELL_CHARS)} is not a "
                                f"region of {where}"
                                f"{_did_you_mean(unknown[0], regions)}; {hint}"
                                + (f" ({len(unknown)} unknown regions in all)" if len(unknown) > 1 else ""))
    return regions, network


def _world_names(params) -> list[str]:
    """The region names of a scenario's network (its first replicate's, for a random graph)."""
    from . import streams
    from .network import build_regions

    timeline = Timeline(params.time.start, params.time.step, 1)
    rng = streams.generator(streams.run_key(0, 0), streams.NETWORK)
    return list(build_regions(params, timeline, rng).names)


def _province_names(table: pd.DataFrame) -> pd.Series:
    """Chinese province names, full (上海市) or short (上海), mapped to the English ones the model uses."""
    from .i18n import _short_zh

    provinces = china.provinces()
    to_en = dict(zip(provinces["name_zh"], provinces["name_en"]))
    to_en.update({_short_zh(zh): en for zh, en in zip(provinces["name_zh"], provinces["name_en"])})
    to_en.update({zh[:-1]: en for zh, en in zip(provinces["name_zh"], provinces["name_en"]) if zh[-1] in "省市"})
    return table["region"].map(lambda n: to_en.get(n, n))


def read_observed(path: str | Path, edges: str | Path | None = None, period_months: int = 3,
                  params=None) -> ObservedAdoptions:
    """Read and check an observed adoption table; ObservedDataError naming file, line and column on any problem.

    The regions are those of ``edges`` when given, else of the scenario's network (``params``, a
    Parameters: its edge list and regions file), else the 31 provinces."""
    path = Path(path)
    edges = Path(edges) if edges is not None else None
    table = _read_csv(path)
    if edges is None and (params is None or params.network.kind == "provinces"):
        table["region"] = _province_names(table)
    names = table["region"].tolist()
    regions, network = _network_regions(path, names, edges, params)

    key = table[["region", "policy"]]
    duplicated = key.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        same = np.flatnonzero((key == key.iloc[first]).all(axis=1).to_numpy())
        raise ObservedDataError(f"{path}: lines {same[0] + 2} and {same[1] + 2}: region "
                                f"{shorten(key.iloc[first, 0], CELL_CHARS)} adopts policy "
                                f"{shorten(key.iloc[first, 1], CELL_CHARS)} twice; keep one row per region and policy (the first "
                                f"adoption)")

    days, bare = _parse_dates(path, table["adopted"])
    yearly = bool(bare.all())
    period = 12 if yearly else int(period_months)
    earliest = min(days)
    start = date(earliest.year, 1, 1) if yearly else date(earliest.year, (earliest.month - 1) // period * period + 1, 1)
    probe = Timeline(start, period, 1)
    step = np.array([probe.step_of(d) for d in days], dtype=np.int32)
    timeline = Timeline(start, period, int(step.max()))

    policies = list(dict.fromkeys(table["policy"]))
    p_index = {p: i for i, p in enumerate(policies)}
    r_index = {r: i for i, r in enumerate(regions)}
    steps = np.zeros((len(regions), len(policies)), dtype=np.int32)
    steps[table["region"].map(r_index).to_numpy(), table["policy"].map(p_index).to_numpy()] = step

    categories = None
    if "category" in table.columns:
        per_policy = table.groupby("policy", sort=False)["category"].agg(lambda c: sorted(set(c)))
        mixed = per_policy[per_policy.map(len) > 1]
        if len(mixed):
            raise ObservedDataError(f"{path}: column 'category': policy {shorten(mixed.index[0], CELL_CHARS)} has "
                                    f"several categories ({', '.join(shorten(c, CELL_CHARS) for c in mixed.iloc[0][:3])}"
                                    f"{', ...' if len(mixed.iloc[0]) > 3 else ''}); give each policy one category")
        categories = tuple(per_policy.loc[p][0] for p in policies)
    if len(policies) < 2 or steps.astype(bool).sum() < 3:
        raise ObservedDataError(f"{path}: {len(policies)} policies and {int((steps > 0).sum())} adoptions are too few "
                                f"to calibrate; give at least 2 policies and 3 adoptions")
    return ObservedAdoptions(path=path, regions=regions, policies=policies, categories=categories, steps=steps,
                             timeline=timeline, network=network, yearly=yearly)


def from_model(model, *, yearly: bool = False) -> pd.DataFrame:
    """A finished model's first adoptions as an observed table (region, policy, adopted, category).

    Use it to test a calibration on data whose true parameters are known. ``adopted`` is the period
    label (``2016Q2``) or, with ``yearly=True``, the year.
    """
    first = first_adoption_steps(model)
    rows, cols = np.nonzero(first)
    labels = [str(model.timeline.date_of(s).year) if yearly else model.timeline.label(s) for s in first[rows, cols]]
    return pd.DataFrame({"region": np.array(model.regions.names)[rows], "policy": [f"P{c:04d}" for c in cols],
                         "adopted": labels, "category": model.category_names[cols]})


def adoption_times(steps: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Each region's adoption step of each policy (never = horizon + 1), and each policy's introduction step."""
    adopted_at = np.where(steps > 0, steps, horizon + 1)
    return adopted_at, adopted_at.min(axis=0)


def coarsen(steps: np.ndarray, substeps: int) -> np.ndarray:
    """Adoption steps of a model measured in observed periods of ``substeps`` model steps (0 stays never)."""
    if substeps == 1:
        return steps
    return np.where(steps > 0, (steps - 1) // substeps + 1, 0).astype(steps.dtype)


def first_adoption_steps(model) -> np.ndarray:
    """Regions x innovations matrix of each region's first adoption step (0 = never), failed ones included.

    A failed adoption that was abandoned still happened: it counts as the region's adoption, as it
    would in an observed record of when a policy was first taken up.
    """
    events = model.events()
    first = np.full((model.n_regions, model.n_innovations), np.iinfo(np.int32).max, dtype=np.int32)
    np.minimum.at(first, (events["region"], events["innovation"]), events["step"].astype(np.int32))
    first[first == np.iinfo(np.int32).max] = 0
    return first
