"""The embedded China default: provinces, borders, clusters, FTZ waves and replication batches.

Each loader returns a pandas table read from ``diffusion/data/`` (copied from the project's shared data,
with every source and confidence column kept). See ``diffusion/data/README.md`` for what each file holds.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources

import pandas as pd

DATA_FILES = ("provinces", "adjacency", "ftz", "clusters", "batches", "best_practices",
              "categories_349", "replication_totals", "industry_links")


def data_path(name: str):
    """Path of one packaged data file, e.g. ``data_path("provinces")``."""
    if name not in DATA_FILES:
        raise ValueError(f"no packaged data file {name!r}; available: {', '.join(DATA_FILES)}")
    return resources.files("diffusion") / "data" / f"{name}.csv"


@cache
def _read(name: str) -> pd.DataFrame:
    with data_path(name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def load(name: str) -> pd.DataFrame:
    """A fresh copy of one packaged table (callers may modify it)."""
    return _read(name).copy()


def provinces() -> pd.DataFrame:
    """The 31 mainland provinces with names, capitals' coordinates, GDP and population (2023)."""
    table = load("provinces")
    table["gdp_per_capita"] = table["gdp_2023"] * 1e8 / (table["pop_2023"] * 1e4)  # yuan per person
    return table


def ftz() -> pd.DataFrame:
    """The 22 FTZs with their launch (plaque-unveiling) date and wave."""
    table = load("ftz")
    table["launched"] = pd.to_datetime(table["launched"]).dt.date
    return table


def parse_month(text) -> date:
    """First day of the month named at the start of a free-text date such as '2020-06/07' or '2015'."""
    match = re.match(r"\s*(\d{4})(?:-(\d{1,2}))?", str(text))
    if not match:
        raise ValueError(f"cannot read a date from {text!r}")
    year, month = int(match.group(1)), int(match.group(2) or 7)  # a bare year is taken as mid-year
    return date(year, month, 1)


def batches() -> pd.DataFrame:
    """The 7 State Council replication batches (binding), with the month each was issued."""
    table = load("batches")
    table["issued"] = [parse_month(str(d).split(" ")[0]) for d in table["date"]]
    return table


def best_practice_batches() -> pd.DataFrame:
    """MOFCOM best-practice case batches (non-binding), dated mid-year of their year."""
    table = load("best_practices")
    table["issued"] = [date(int(y), 7, 1) for y in table["year"]]
    return table


def category_weights() -> dict[str, float]:
    """Category -> count of the 349 nationally replicated achievements (seed 000, Table 1)."""
    return dict(_category_weights())   # a fresh dict: callers may modify it


@cache
def _category_weights() -> dict[str, float]:
    table = _read("categories_349")   # read-only here, so no copy
    return dict(zip(table["category"], table["items"].astype(float)))
