"""The one parameter schema: every name, default, unit, allowed range and the reason for its default.

Code, docs (``docs/parameters.md`` is generated from here) and scenario files read this module; nothing
else repeats a default. Each field carries ``unit``, ``why`` (where the default comes from) in its JSON
schema extras, so the documentation can say them.

Build parameters with :func:`make_parameters` (or ``Parameters.model_validate``) to get a user-facing
``ValueError`` that names the field path, the value given and what is allowed.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from datetime import date
from datetime import date as _Date   # a policy has a field named date
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

LEADERSHIP_MODELS = ("reform_office", "leading_group", "joint_conference", "none")
WORKING_SYSTEMS = ("commerce", "ftz_office", "government")
FEEDBACK_MODES = ("none", "one_way", "two_way")
PATHWAYS = ("plan_pilot", "request_authorise", "autonomy_absorption")
NetworkKind = Literal["provinces", "prefectures", "synthetic_prefectures", "small_world", "scale_free", "random",
                      "complete", "edge_list"]
NETWORK_KINDS = get_args(NetworkKind)
CHINA_KINDS = ("provinces", "prefectures", "synthetic_prefectures")   # built on the real provinces
CHANNELS = ("spontaneous", "learning", "competition", "mandate")

Leadership = Literal["reform_office", "leading_group", "joint_conference", "none"]
WorkingSystem = Literal["commerce", "ftz_office", "government"]
Feedback = Literal["none", "one_way", "two_way"]


def P(default: Any, *, unit: str, why: str, description: str, **constraints: Any) -> Any:
    """Declare one parameter: its default, unit, the reason for the default and its allowed range."""
    return Field(default, description=description, json_schema_extra={"unit": unit, "why": why}, **constraints)


# pandas keeps dates as nanoseconds since 1970: a run must lie between these (pd.Timestamp.min/max, with margin)
EARLIEST_START = date(1678, 1, 1)
LATEST_END = date(2262, 1, 1)
MAX_YEARS = 200                  # longest run
SHOWN_CHARS = 80                 # longest value quoted back in an error message


def shorten(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, for quoting a value a user gave in an error message."""
    if isinstance(value, str):
        return repr(value) if len(value) <= limit else repr(value[:limit]) + "..."
    text = _SHORT_REPR.repr(value)   # bounded: never walks a whole (alias-shared) structure
    return text if len(text) <= limit else text[:limit] + "..."


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel, _SHORT_REPR.maxlist, _SHORT_REPR.maxtuple, _SHORT_REPR.maxdict = 2, 4, 4, 3
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = _SHORT_REPR.maxlong = SHOWN_CHARS


def _allows_bool(annotation: Any) -> bool:
    return annotation is bool or any(_allows_bool(arg) for arg in get_args(annotation))


def _holds_numbers(annotation: Any) -> bool:
    """dict[str, float], list[int] and the like (optional or not): containers whose values are numbers."""
    if get_origin(annotation) in (dict, list):
        return get_args(annotation)[-1] in (int, float)
    return any(_holds_numbers(arg) for arg in get_args(annotation))


class Checked(BaseModel):
    """Numbers are finite (no NaN or infinity) and true/false is never read as a number (YAML's true is not 1)."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _booleans_are_not_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        annotation = cls.model_fields[info.field_name].annotation
        if _allows_bool(annotation):
            return value
        values = (value,)
        if _holds_numbers(annotation) and isinstance(value, (dict, list)):
            values = value.values() if isinstance(value, dict) else value
        if any(isinstance(v, bool) for v in values):
            raise ValueError("true/false is a switch, not a number or a name; write the number or name itself")
        return value


class Section(Checked):
    """Base of every schema section: unknown names are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)


# --------------------------------------------------------------------------------------------- time
class TimeParams(Section):
    """Calendar: a step is one period (a quarter by default) starting at ``start``; the run lasts ``years``.

    Every rate is per year and every lag, term and deadline in months or years, so the step length is a
    numerical choice: the same scenario at monthly and quarterly steps gives the same distribution of
    results at common dates, up to the discretisation error documented in docs/model.md."""

    start: date = P(date(2013, 7, 1), unit="date", description="First day of the first period (step 1).",
                    why="2013Q3: the Shanghai FTZ, the first pilot, opened on 2013-09-29 (data/ftz.csv).")
    step: Literal["week", "month", "quarter", "half_year", "year"] = P(
        "quarter", unit="-", description="Length of one step: week, month, quarter, half_year or year.",
        why="A quarter: the reporting cycle of replication ledgers (seed 000); results do not depend on it.")
    years: float = P(12.0, unit="years", gt=0, le=MAX_YEARS, description="Length of the run (rounded to whole "
                     "steps); the run must end by 2262-01-01, the last date the model's tables can hold.",
                     why="12 years = 2013Q3 to 2025Q2, covering all 7 State Council batches (data/batches.csv).")

    @field_validator("start")
    @classmethod
    def _first_of_month(cls, value: date) -> date:
        if value.day != 1:
            raise ValueError(f"start must be the first day of a month (got {value.isoformat()}); "
                             f"use {value.replace(day=1).isoformat()}")
        return value

    @property
    def dt(self) -> float:
        """Years per step."""
        from .timeline import step_years
        return step_years(self.step)

    @property
    def steps(self) -> int:
        """Number of steps of the run: ``years`` in whole steps (nearest), at least one."""
        return max(1, int(round(self.years / self.dt)))

    @model_validator(mode="after")
    def _not_too_many_steps(self) -> TimeParams:
        if self.years / self.dt > 20_000:
            raise ValueError(f"{self.years} years of {self.step} steps is {self.years / self.dt:.0f} steps; "
                             f"at most 20,000 are allowed: use a longer step or fewer years")
        from .timeline import Timeline

        end = Timeline(self.start, self.step, self.steps).end if self.start >= EARLIEST_START else None
        if end is None or end > LATEST_END:
            raise ValueError(f"the run from {self.start.isoformat()} for {self.years:g} years "
                             f"({self.steps} steps of a {self.step}) lies outside the dates the model can hold, "
                             f"{EARLIEST_START.isoformat()} to {LATEST_END.isoformat()}; start later or earlier, "
                             f"or run fewer years (or steps)")
        return self


# ------------------------------------------------------------------------------------------ network
class NetworkParams(Section):
    """Which regions exist and who observes and competes with whom."""

    kind: NetworkKind = P(
        "provinces", unit="-", description="Network of regions: the real provinces, the real prefecture-level "
        "regions within them (367, tied by shared borders; data/geo), synthetic cities within the real "
        "provinces (synthetic_prefectures, any number: see cities), or a synthetic/user graph.",
        why="The embedded default: 31 mainland provinces, 68 land borders + Guangdong-Hainan sea link.")
    n_regions: int = P(31, unit="regions", ge=2, le=100_000,
                       description="Number of regions of a synthetic network (ignored for provinces/edge_list).",
                       why="Same size as the provincial default so results are comparable.")
    cities: int = P(300, unit="regions", ge=31, le=100_000,
                    description="Number of synthetic cities (synthetic_prefectures only), shared out among the "
                    "provinces by population; the 4 municipalities stay one region each.",
                    why="About the size of the real prefecture level (kind prefectures: 367 regions) for scale "
                    "tests; set any number.")
    mean_degree: float = P(4.5, unit="ties", gt=0, le=1000,
                           description="Mean number of ties per region in small_world/scale_free/random graphs.",
                           why="4.45 = 2 x 69 / 31, the mean degree of the provincial adjacency graph.")
    rewiring: float = P(0.1, unit="probability", ge=0, le=1,
                        description="Watts-Strogatz rewiring probability (small_world only).",
                        why="Standard small-world regime (Watts & Strogatz 1998).")
    edge_list: str | None = P(None, unit="path",
                              description="CSV file with columns source,target[,weight] (edge_list only); with a "
                              "regions file it may name only the file's regions, and may leave some isolated.",
                              why="No default: user-supplied networks are optional.")
    regions_file: str | None = P(None, unit="path",
                                 description="CSV file of your own regions: id, optional name, name_zh, lon, lat, "
                                 "capacity, population, gdp_per_capita, pilot_since, clusters and any number of "
                                 "numeric covariates (edge_list: the regions of the world; provinces or "
                                 "prefectures: traits and covariates of the real regions, by their names). See "
                                 "docs/regions-file.md.",
                                 why="No default: the embedded China default needs none.")
    sea_links: bool = P(True, unit="-", description="Include the sea links: Guangdong-Hainan (provinces, "
                        "synthetic_prefectures); Zhanjiang-Haikou, Ningbo-Zhoushan and Wenchang-Sansha (prefectures).",
                        why="Without them Hainan (and Zhoushan, Sansha) are isolated (data/README.md, data/geo/README.md).")
    ftz_share: float | None = P(None, unit="share", ge=0, le=1,
                                description="Share of the regions of a synthetic graph or user edge list that become "
                                "FTZs, opening in the 7 historical waves (a regions file says its pilots itself). "
                                "Omitted: none, since such a world is not China (the real networks have the real FTZs).",
                                why="A world that is not China carries no China unless it asks: 22 / 31 (the provincial "
                                    "share, data/ftz.csv) reproduces the historical waves on a synthetic graph.")

    @property
    def china(self) -> bool:
        """Whether the network is built on the real provinces (and so inherits their FTZs and batches)."""
        return self.kind in CHINA_KINDS

    @model_validator(mode="after")
    def _edge_list_needs_file(self) -> NetworkParams:
        if self.kind == "edge_list" and not self.edge_list and not self.regions_file:
            raise ValueError("kind 'edge_list' needs network.edge_list (the path of a CSV with columns source,target) "
                             "or network.regions_file (a CSV of regions, with id), or both")
        if self.regions_file and self.kind not in ("edge_list", "provinces", "prefectures"):
            raise ValueError(f"network.regions_file goes with kind edge_list (your own regions) or provinces or "
                             f"prefectures (traits of the real ones), not with {self.kind}")
        return self


# ------------------------------------------------------------------------------------ innovations
class PathwayMix(Section):
    """Shares of the innovation supply that follow each of the three pilot-to-promotion paths."""

    plan_pilot: float = P(0.6, unit="share", ge=0, le=1, description="Centre sets the question and picks the pilot.",
                          why="Most State Council batch items came from centrally assigned pilot tasks (seed 000, "
                              "Zhang et al. 2023); an assumption, varied in scenarios/pathway-*.yaml.")
    request_authorise: float = P(0.25, unit="share", ge=0, le=1,
                                 description="A locality asks, the centre authorises after a lag.",
                                 why="Assumption; varied in scenarios.")
    autonomy_absorption: float = P(0.15, unit="share", ge=0, le=1,
                                   description="Localities innovate on their own; the centre absorbs what works.",
                                   why="Assumption; varied in scenarios.")

    @model_validator(mode="after")
    def _positive_total(self) -> PathwayMix:
        if self.plan_pilot + self.request_authorise + self.autonomy_absorption <= 0:
            raise ValueError("at least one pathway share must be positive")
        return self


class PathwayEffects(Section):
    """How each pathway shapes an innovation: screening of its benefit, authorisation and evaluation lags."""

    benefit_shift: dict[str, float] = P(
        {"plan_pilot": 0.15, "request_authorise": 0.05, "autonomy_absorption": -0.1}, unit="benefit units",
        description="Added to the mean true benefit of innovations on each pathway.",
        why="Central screening selects better pilots; unscreened local experiments vary more (seed 000). Assumed.")
    benefit_sd_factor: dict[str, float] = P(
        {"plan_pilot": 0.8, "request_authorise": 1.0, "autonomy_absorption": 1.3}, unit="factor",
        description="Multiplies the spread of true benefit on each pathway.", why="As above. Assumed.")
    authorisation_lag_months: dict[str, float] = P(
        {"plan_pilot": 0, "request_authorise": 6, "autonomy_absorption": 0}, unit="months",
        description="Months between an idea and the start of its pilot (rounded to whole steps).",
        why="Request-authorise waits for the centre's approval (seed 000). Half a year assumed.")
    evaluation_lag_months: dict[str, float] = P(
        {"plan_pilot": 3, "request_authorise": 9, "autonomy_absorption": 15}, unit="months",
        description="Months of piloting before the centre can evaluate an innovation for a batch (rounded to whole steps).",
        why="Centre-planned pilots are followed closely (the first batch, Dec 2014, came 5 quarters after Shanghai opened); absorbed ones must first prove themselves. Assumed.")

    @field_validator("benefit_shift")
    @classmethod
    def _shift_keys(cls, value: dict) -> dict:
        return _check_table(value, PATHWAYS, low=-10, high=10)

    @field_validator("benefit_sd_factor")
    @classmethod
    def _pathway_keys(cls, value: dict) -> dict:
        return _check_table(value, PATHWAYS, high=10)

    @field_validator("authorisation_lag_months", "evaluation_lag_months")
    @classmethod
    def _pathway_lags(cls, value: dict) -> dict:
        return _check_table(value, PATHWAYS, high=1200)


class InnovationParams(Section):
    """Where innovations come from and what they are like."""

    source: Literal["pilots", "initial"] = P(
        "pilots", unit="-", description="'pilots': FTZs pilot innovations once open; 'initial': n_initial "
        "innovations exist at step 1 with no origin (for Bass-type experiments and teaching).",
        why="The historical process: innovations are born in FTZ pilots.")
    expected_total: float = P(349, unit="innovations", ge=0, le=100_000,
                              description="Expected number of innovations piloted in the first reference_years of "
                              "the run (source=pilots); a longer run continues at the same rate.",
                              why="349 FTZ achievements replicated nationally by January 2024 (data/categories_349.csv, seed 000 Table 1).")
    reference_years: float = P(12.0, unit="years", gt=0, le=200,
                               description="The period in which expected_total innovations are expected: supply per "
                               "year does not depend on how long a run is.",
                               why="12 years = 2013Q3 to 2025Q2, the default run, over which the 349 were piloted.")
    n_initial: int = P(100, unit="innovations", ge=1, le=100_000,
                       description="Number of innovations present from step 1 (source=initial).",
                       why="Enough for stable averages in teaching runs.")
    pilot_burst: float = P(3.0, unit="factor", ge=0, le=100,
                           description="Extra local piloting of a newly opened FTZ: rate x (1 + burst x exp(-age/burst_decay_years)).",
                           why="New FTZs produce most of their achievements in their first years (e.g. 17 of batch 4's 30 items came from the 2017 wave, data/batches.csv).")
    burst_decay_years: float = P(1.0, unit="years", gt=0, le=100, description="Decay time of the opening burst.",
                                 why="About a year, consistent with the 2017 wave feeding the 2018 batch.")
    non_ftz_autonomy: float = P(0.1, unit="factor", ge=0, le=10,
                                description="Autonomous innovation rate of a non-FTZ region relative to an FTZ.",
                                why="Provinces also innovate and replicate horizontally (about 1,400 within-province replications by 2021, data/replication_totals.csv); assumed small.")
    pathway_mix: PathwayMix = Field(default_factory=PathwayMix, description="Shares of the three pathways.")
    pathways: PathwayEffects = Field(default_factory=PathwayEffects, description="Effects of each pathway.")
    benefit_mean: float = P(0.5, unit="benefit units", ge=-10, le=10,
                            description="Mean true benefit of an innovation (outcome units; 0 = no gain).",
                            why="Scale-setting assumption: most piloted reforms help, some do not.")
    benefit_sd: float = P(0.45, unit="benefit units", ge=0, le=10, description="Spread of true benefits.",
                          why="About 13% of innovations have negative true benefit under the default mix; assumed.")
    risk_min: float = P(0.1, unit="outcome sd", ge=0, le=10, description="Lowest risk (sd of an adoption's outcome).",
                        why="Assumption; risk is the noise of the outcome an adopter gets.")
    risk_max: float = P(1.0, unit="outcome sd", ge=0, le=10, description="Highest risk.",
                        why="At the top, failure (outcome < 0) is about 30% likely for an average reform.")
    complexity_sd: float = P(0.5, unit="log units", ge=0, le=5,
                             description="Spread of implementation complexity, lognormal with median 1.",
                             why="Assumption; binding items range from a form change to a new customs regime.")
    complexity_exponent: float = P(0.5, unit="-", ge=0, le=5,
                                   description="Implementation quality and mandate compliance fall as complexity ** -exponent.",
                                   why="Assumed: complex reforms take longer and go wrong more often (改不动).")
    fit_sd: float = P(0.3, unit="log units", ge=0, le=5,
                      description="Spread of region-specific fit (lognormal with mean 1).",
                      why="Assumption: a reform suits some regions better than others (brief section 2).")
    fit_similarity: float = P(0.5, unit="1/log units", ge=0, le=10,
                              description="Loss of fit with economic distance from the origin: fit x exp(-s |log cap_r - log cap_origin|).",
                              why="Reforms made for a rich coastal FTZ fit similar regions best (seed 003); assumed.")
    relevance: float = P(0.85, unit="probability", ge=0, le=1,
                         description="Chance that a reform of fit 1 addresses a problem a region has, so that the "
                         "region is at risk of adopting it voluntarily: per pair relevance ** (1 / fit) (1: every "
                         "region is at risk of every reform).",
                         why="Voluntary diffusion levels off below all jurisdictions (Rogers 2003; Boushey 2010): not "
                             "every reform suits every region (seed 003: inland vs coastal needs). Assumed; "
                             "calibration can fit it. Binding mandates apply regardless.")
    category_weights: dict[str, float] | None = P(
        None, unit="items", description="Relative frequency of each category; default: data/categories_349.csv.",
        why="Real proportions of the 349 replicated achievements (seed 000 Table 1).")

    @field_validator("category_weights")
    @classmethod
    def _known_categories(cls, value: dict | None) -> dict | None:
        if value is None:
            return None
        _known_category_list(list(value))
        negative = [k for k, v in value.items() if not 0 <= v <= 1e6]
        if negative:
            raise ValueError(f"weight of {negative[0]!r} must be between 0 and 1,000,000 (got {value[negative[0]]})")
        if not any(v > 0 for v in value.values()):
            raise ValueError("give at least one category a positive weight")
        return value


# ----------------------------------------------------------------------------------------- channels
class SpontaneousChannel(Section):
    """Adoption with no outside cause: a region's own discovery (the Bass model's innovation term p)."""

    enabled: bool = P(True, unit="-", description="Switch the channel on or off.", why="On: background adoption exists.")
    rate_per_year: float = P(0.012, unit="1/year", ge=0, le=200, description="Hazard of spontaneous adoption.",
                             why="Small: unprompted adoption of another FTZ's reform is rare (about 1% a year); assumed.")


class LearningChannel(Section):
    """Adoption because others' results show an innovation works."""

    enabled: bool = P(True, unit="-", description="Switch the channel on or off.", why="On: learning is one of the three channels (brief).")
    weight_per_year: float = P(1.0, unit="1/year", ge=0, le=200, description="Largest learning hazard.",
                               why="Assumed; with it voluntary diffusion of good reforms takes several years, as observed.")
    sensitivity: float = P(4.0, unit="1/benefit units", ge=0, le=100,
                           description="Steepness of the logistic response to expected net value.",
                           why="Assumption: a net value of 0.5 gives 88% of the maximum hazard.")
    prior_mean: float = P(0.2, unit="benefit units", ge=-10, le=10,
                          description="What a region believes an unseen innovation is worth.",
                          why="Cautious prior, below the mean true benefit: officials are sceptical of unproven reforms.")
    prior_sd: float = P(0.5, unit="benefit units", gt=0, le=10, description="Uncertainty of that prior belief.",
                        why="Comparable to the spread of true benefits.")
    fit_noise: float = P(0.4, unit="outcome sd", ge=0, le=10,
                         description="Extra noise in another region's outcome as evidence for one's own (differences in fit and quality).",
                         why="Matches the spread of fit x quality across regions.")
    cost: float = P(0.2, unit="benefit units", ge=0, le=10,
                    description="Implementation cost of an innovation of complexity 1 in a region of capacity 1.",
                    why="Assumed; cost scales with complexity / capacity.")
    evidence_lag_months: float = P(3.0, unit="months", ge=0, le=120,
                                   description="Time from an adoption until others see its outcome (its result "
                                   "reaches them through reporting).",
                                   why="A quarter: the reporting cycle of replication ledgers (seed 000). It also "
                                   "makes the flow of evidence independent of the step for steps up to this long.")


class CompetitionChannel(Section):
    """Adoption because rivals and neighbours adopted (imitation; the Bass model's q)."""

    enabled: bool = P(True, unit="-", description="Switch the channel on or off.", why="On: competition is one of the three channels (brief).")
    weight_per_year: float = P(0.32, unit="1/year", ge=0, le=200,
                               description="Hazard when every rival has adopted (scales with the share that did).",
                      why="Assumed; competition is weaker than mandate in China (seed 000).")
    similarity_scale: float = P(1.0, unit="log units", ge=0, le=100,
                                description="Rivals are economically similar: tie weight exp(-|log cap_r - log cap_j| / scale); 0 = all ties equal.",
                                why="Regions compete for investors with regions like them (Shipan & Volden 2008).")
    include_ftz_peers: bool = P(True, unit="-", description="FTZ regions also compete with all other FTZs, not only neighbours.",
                                why="FTZs are ranked against each other nationally (seed 000: annual ranking).")


class MandateChannel(Section):
    """Adoption because the centre ordered replication (binding batches) or recommended it (best practices)."""

    enabled: bool = P(True, unit="-", description="Switch the channel (and the centre's batches) on or off.",
                      why="On: the State Council issued 7 binding batches 2014-2023 (data/batches.csv).")
    weight_per_year: float = P(2.4, unit="1/year", ge=0, le=200,
                               description="Hazard of complying with a binding item for a region of capacity 1 with a leading group.",
                      why="Most mandated items are reported done within about a year; assumed.")
    schedule: Literal["historical", "periodic", "none"] | None = P(
        None, unit="-", description="'historical': batches at the real dates and sizes, and after the "
        "end of the record projected batches every interval_months; 'periodic': every interval_months from "
        "first_batch; 'none': no batches (only the central policies of the policies block). Omitted: "
        "historical on the networks built on the real provinces, none on any other.",
        why="Reproduces the 7 real batches (data/batches.csv) and best-practice lists (data/best_practices.csv); "
            "a world that is not China gets no Chinese batches unless it asks for them.")
    interval_months: float = P(12, unit="months", gt=0, le=1200,
                               description="Months between batches after the historical ones (or always, if periodic).",
                               why="Yearly, the usual rhythm of batches.")
    first_batch: date = P(date(2014, 10, 1), unit="date", description="Date of the first batch when periodic.",
                          why="2014Q4, the first real batch (2014-12, data/batches.csv).")
    batch_size: int = P(24, unit="items", ge=0, le=100_000, description="Largest batch when periodic or after the historical batches.",
                        why="167 items / 7 batches = 23.9 (data/batches.csv).")
    best_practice_size: int = P(14, unit="items", ge=0, le=100_000,
                                description="Largest best-practice list when periodic or after the historical lists.",
                                why="84 cases / 5 batches + 29 (data/best_practices.csv), rounded.")
    best_practices: bool = P(True, unit="-", description="Issue non-binding best-practice lists.",
                             why="MOFCOM issued 5 lists (84 cases) by 2024 (seed 000).")
    deadline_months: float = P(12, unit="months", gt=0, le=1200, description="Months a region has to complete a binding batch item.",
                               why="Batches ask for replication within the year; assumed.")
    plan_share: float = P(0.9, unit="share of the deadline", gt=0, le=10,
                          description="When a region with authority x assessment weight 1 plans to have a binding "
                          "item done, as a share of the deadline (stronger leadership and assessment plan earlier).",
                          why="Regions schedule backward from the deadline and set themselves an earlier one "
                              "(倒排工期, 层层加码); a tenth of the time kept as margin is assumed.")
    plan_sd: float = P(0.25, unit="log units", ge=0, le=5,
                       description="Spread of the planned completion date across regions and items (lognormal).",
                       why="Assumed: some items slip; with it a few regions under a leading group still miss a deadline.")
    planning_shape: float = P(1.0, unit="-", gt=0, le=10,
                              description="Shape k of the planned pace: hazard k / (time left to the planned date); "
                              "1 spreads completions evenly over the plan, below 1 crowds them toward its end.",
                              why="An even pace over the planned time, the simplest plan; deadline rushes (k < 1) "
                                  "are documented for agency deadlines (Carpenter et al. 2012). Assumed.")
    capacity_slack: float = P(0.0, unit="-", ge=0, le=5,
                              description="How much a region's capacity shortens its plan for a binding item: "
                              "planned date x capacity ** -capacity_slack.",
                              why="Under a binding mandate local capacity loses its significance for timing (Zhu "
                                  "2014; Zhu & Zhang 2016): it acts through implementation quality, failures and "
                                  "retries instead. 0 by default; raise it to test a capacity-bound plan.")
    shortest_months: float = P(3.0, unit="months", gt=0, le=120,
                               description="Shortest time in which a region carries out a binding item it has not "
                               "done by its planned date (and redoes one that failed).",
                               why="A quarter: one reporting cycle of the replication ledgers (seed 000).")
    escalation: float = P(0.5, unit="factor per deadline", ge=0, le=100,
                          description="Extra pressure per deadline length overdue.",
                          why="Supervision intensifies for overdue items (inspections, seed 000); assumed.")
    guided_assessment: float = P(0.6, unit="factor", ge=0, le=10,
                                 description="Weight of guided (assessed but not binding) central policies in assessment.",
                                 why="Between binding items (1) and best practices (nonbinding_assessment, 0.3); assumed.")
    threshold: float = P(0.15, unit="benefit units", ge=-10, le=10,
                         description="The centre replicates an innovation only if its estimated benefit exceeds this.",
                         why="Only achievements judged effective are promoted; assumed.")
    min_reports: int = P(1, unit="outcomes", ge=1, le=10_000,
                         description="Outcomes the centre must have received about an innovation before it can "
                         "promote it (in a batch, or after a pilot-first central policy's evaluation).",
                         why="Promotion follows evaluated evidence, never the prior alone: at least the pilot's own "
                             "result (seed 000: achievements are summarised and evaluated before promotion).")
    publication_weight: float = P(0.5, unit="weight", ge=0, le=10,
                                  description="Weight with which the evidence behind a published item (binding or best practice) reaches every region.",
                                  why="Batches and case lists describe each item's results to all provinces (seed 000); assumed half as convincing as seeing it first-hand.")


class ChannelParams(Section):
    """The adoption channels; each is switchable and weighted."""

    spontaneous: SpontaneousChannel = Field(default_factory=SpontaneousChannel)
    learning: LearningChannel = Field(default_factory=LearningChannel)
    competition: CompetitionChannel = Field(default_factory=CompetitionChannel)
    mandate: MandateChannel = Field(default_factory=MandateChannel)


# ------------------------------------------------------------------------------------- institutions
class IncentiveParams(Section):
    """Assessment, rewards and penalties for replication work."""

    assessment_weight: float = P(1.0, unit="factor", ge=0, le=10,
                                 description="Weight of binding items in annual performance assessment (multiplies mandate pressure).",
                                 why="Binding State Council items are assessed strongly (seed 000).")
    nonbinding_assessment: float = P(0.3, unit="factor", ge=0, le=10,
                                     description="Weight of non-binding items (best practices) in assessment.",
                                     why="Classified assessment: non-binding items count weakly (seed 000).")
    reward: float = P(0.0, unit="factor", ge=0, le=10,
                      description="Reward for contributors: raises voluntary adoption hazards by this share.",
                      why="Off in the historical default: rewards were rare (seed 000).")
    penalty: float = P(0.0, unit="factor", ge=0, le=10,
                       description="Reverse constraint: extra mandate pressure on regions below the completion threshold.",
                       why="Off by default; seed 001 describes point deductions below 80% completion.")
    penalty_threshold: float = P(0.8, unit="share", ge=0, le=1,
                                 description="Completion share of due binding items below which the penalty applies.",
                                 why="80% (seed 001).")


class InstitutionParams(Section):
    """The institutional design of replication work (scenario-wide; per-region overrides in ``regions``)."""

    leadership: Leadership = P("leading_group", unit="-",
                               description="Who leads replication work: reform_office, leading_group, joint_conference or none.",
                               why="The leading group is the most common model (seed 000).")
    working_system: WorkingSystem = P("commerce", unit="-",
                                      description="Who carries the work: commerce department, FTZ office or the government directly.",
                                      why="Most provinces task the commerce department (seed 000).")
    fault_tolerance: float = P(0.3, unit="0-1", ge=0, le=1,
                               description="Protection of officials whose reform fails in good faith (容错纠错).",
                               why="Written into 18 FTZ regulations but rarely operational (seed 000); set low-medium.")
    feedback: Feedback = P("one_way", unit="-",
                           description="Feedback and evaluation: none, one_way (reporting up) or two_way (guidance back down).",
                           why="Reporting ledgers exist; two-way feedback is not yet sound (seed 000).")
    incentives: IncentiveParams = Field(default_factory=IncentiveParams)
    authority: dict[str, float] = P(
        {"reform_office": 1.4, "leading_group": 1.2, "joint_conference": 0.8, "none": 0.5}, unit="factor",
        description="Multiplier of mandate compliance by leadership model.",
        why="Ordering from seed 000: party reform office > leading group (governor-led) > joint conference > none. Magnitudes assumed.")
    coordination: dict[str, float] = P(
        {"reform_office": 1.2, "leading_group": 1.05, "joint_conference": 0.9, "none": 0.75}, unit="factor",
        description="Multiplier of implementation quality by leadership model (how well departments cooperate).",
        why="Same ordering (seed 000, 条块 coordination). Magnitudes assumed.")
    system_quality: dict[str, float] = P(
        {"commerce": 1.0, "ftz_office": 1.05, "government": 1.1}, unit="factor",
        description="Multiplier of implementation quality by working system.",
        why="Direct government responsibility coordinates most departments (seed 000). Magnitudes assumed.")
    commerce_domain_bonus: float = P(0.1, unit="factor", ge=0, le=10,
                                     description="Extra quality when the commerce department carries investment or trade items.",
                                     why="Commerce departments' business matches investment/trade items (seed 000).")
    feedback_correction: dict[str, float] = P(
        {"none": 0.5, "one_way": 0.75, "two_way": 1.0}, unit="factor",
        description="Share of fault-tolerant corrections that succeed, by feedback mode.",
        why="Problems must travel up and guidance down for a failure to be fixed (seed 000).")
    feedback_broadcast: dict[str, float] = P(
        {"none": 0.0, "one_way": 0.0, "two_way": 0.3}, unit="weight",
        description="Weight with which all adopters' results reach every region through the centre's feedback.",
        why="Only two-way feedback brings results back down (seed 000).")

    @field_validator("authority", "coordination")
    @classmethod
    def _leadership_keys(cls, value: dict) -> dict:
        return _check_table(value, LEADERSHIP_MODELS, high=10)

    @field_validator("system_quality")
    @classmethod
    def _system_keys(cls, value: dict) -> dict:
        return _check_table(value, WORKING_SYSTEMS, high=10)

    @field_validator("feedback_correction")
    @classmethod
    def _feedback_keys(cls, value: dict) -> dict:
        return _check_table(value, FEEDBACK_MODES, high=1)

    @field_validator("feedback_broadcast")
    @classmethod
    def _feedback_weights(cls, value: dict) -> dict:
        return _check_table(value, FEEDBACK_MODES, high=10)


class CoordinationParams(Section):
    """Cross-region coordination within regional clusters (data/clusters.csv)."""

    clusters: list[str] = P([], unit="-", description="Clusters where coordination applies (names from data/clusters.csv).",
                            why="None in the historical default.")
    mutual_recognition: float = P(0.0, unit="0-1", ge=0, le=1,
                                  description="Cost cut when cluster partners already adopted; also strengthens rivalry within the cluster.",
                                  why="Off by default; seeds 001/003 recommend it.")
    shared_data: float = P(0.0, unit="0-1", ge=0, le=1,
                           description="Weight with which cluster partners' results are seen as if they were neighbours.",
                           why="Off by default; seed 001 (data silos).")
    rotating_lead: float = P(0.0, unit="0-1", ge=0, le=1,
                             description="Pull of the cluster's current lead (rotating yearly) on members that have not adopted what it adopted.",
                             why="Off by default; seed 001 (轮值主导).")
    lead_term_months: float = P(12, unit="months", gt=0, le=1200, description="Months each member leads before the lead rotates.",
                                why="Yearly rotation (seed 001).")


# ------------------------------------------------------------------------------------ collaboration
Compensation = Literal["none", "cluster", "centre"]
COMPENSATION_MODES = get_args(Compensation)


def _known_category_list(value: list[str]) -> list[str]:
    """A list of category names of data/categories_349.csv (a sentence naming the unknown one otherwise)."""
    from .china import category_weights

    known = tuple(category_weights())
    unknown = [name for name in value if name not in known]
    if unknown:
        raise ValueError(f"unknown category {shorten(unknown[0])}{_did_you_mean(unknown[0], known)}; the "
                         f"categories are {', '.join(known)} (data/categories_349.csv)")
    return value


class BenefitSharingParams(Section):
    """Who gains from a joint cross-region reform, and whether the losers are compensated (seed 001)."""

    joint_categories: list[str] = P(
        ["regional coordination"], unit="-",
        description="Categories whose FTZ reforms are joint reforms of the piloting region's partners (names from "
        "data/categories_349.csv); their gains are split among the participants.",
        why="seed 001: joint cross-region reforms are where unequal benefits (利益分配不均) arise; the regional "
            "coordination category (5 of the 349, seed 000 Table 1) is the cross-region one. Which other reforms "
            "are joint is a design question: widen the list to test it.")
    joint_policies: bool = P(
        True, unit="-", description="Central policies piloted jointly by two or more regions, or issued to "
        "named clusters or regions, are joint reforms of those regions (whatever their category).",
        why="seed 001: joint pilots of a cluster (长三角 一网通办, 一单两检) share their gains among the members.")
    participants: Literal["smallest_cluster", "all_clusters"] = P(
        "smallest_cluster", unit="-",
        description="Who shares a joint FTZ reform: the members of the smallest cluster (data/clusters.csv) the "
        "piloting region belongs to with at least one other member, or of all its clusters; a region in no such "
        "cluster shares it with its network neighbours.",
        why="Cross-region reforms are made in the closest integration area (seed 001: the Yangtze River Delta, "
            "Chengdu-Chongqing); the neighbours of a region outside every cluster stand for its cooperation area "
            "(e.g. Guangdong's pan-Pearl River Delta). Assumed.")
    inequality: float = P(
        0.0, unit="-", ge=0, le=10,
        description="How unequally a joint reform's gains are split: participant r's share is proportional to "
        "capacity_r ** inequality (0: equal shares).",
        why="seed 001: the gains of joint reforms land mostly in the core regions (利益分配不均; the siphon effect "
            "of the richer members). 0 by default, today's model (every region's benefit is its own); the size is "
            "assumed: 1 gives a region twice as rich (capacity x 1.4) a 40% larger share.")
    compensation: Compensation = P(
        "none", unit="-",
        description="Benefit compensation (利益补偿): none; cluster (the members transfer part of the winners' "
        "excess to the losers, zero-sum); centre (central transfers top up the losers; the winners keep theirs).",
        why="seed 001: the leading group's benefit-compensation mechanism balances regional interests by fiscal "
            "transfers (中央财政补贴, 确保输出地不吃亏); seed 003: a win-win benefit-distribution mechanism "
            "(共赢的利益分配机制). Off by default.")
    compensation_rate: float = P(
        0.5, unit="0-1", ge=0, le=1,
        description="Share of the gap to a fair share that compensation closes (used when compensation is not none).",
        why="Half: transfers are partial (assumed); 1 restores fair shares.")

    @field_validator("joint_categories")
    @classmethod
    def _joint_categories(cls, value: list[str]) -> list[str]:
        return _known_category_list(value)


class IndustryChainParams(Section):
    """Industrial-chain linkage among FTZs: an industry reform is worth more where linked FTZs adopt it (seed 003)."""

    complementarity: float = P(
        0.0, unit="factor", ge=0, le=10,
        description="Extra value of an industry reform to a region when every FTZ linked to it along an industry "
        "chain (data/industry_links.csv) has adopted it: value x (1 + complementarity x share of linked FTZs that "
        "adopted).",
        why="seed 003: industrial coordination among FTZs (产业协同联动) makes reforms complementary along the chain "
            "(上下游互补, 效能倍增); seed 001: Shanghai R&D, Anhui manufacturing, Jiangsu logistics. 0 by default, "
            "today's model; the size is assumed: 1 doubles the value once all partners adopted.")
    categories: list[str] = P(
        ["industry"], unit="-", description="Categories whose reforms are complementary along industry chains.",
        why="The industry category (36 of the 349, seed 000 Table 1) holds the reforms of industrial policy; "
            "seed 003 also names factor resources and trade. Assumed.")
    synthetic_hops: int = P(
        2, unit="ties", ge=1, le=10,
        description="On networks without the packaged industry links (synthetic graphs, edge lists): FTZ regions "
        "are linked when at most this many network ties apart.",
        why="Industry chains run along corridors between nearby FTZs (seed 003: 跨区域联动); two ties reach a "
            "neighbour's neighbour. Assumed.")

    @field_validator("categories")
    @classmethod
    def _chain_categories(cls, value: list[str]) -> list[str]:
        return _known_category_list(value)


class GovernanceParams(Section):
    """Two levels of collaborative governance (seed 004): central-local and local-level coordination."""

    central_local: float = P(
        0.0, unit="0-1", ge=0, le=1,
        description="Central-local coordination (央地协同: among ministries and between centre and provinces): "
        "shortens the request-authorise lag to lag x (1 - central_local) and raises the share of local requests "
        "the centre authorises from authorised_share towards 1.",
        why="seed 004: central authorisation does not fully meet local needs (部委授权不足, 跑部前进); better "
            "central-local coordination makes authorisation fit local requests. 0 = the model's reference level, "
            "today's model; effect sizes assumed.")
    authorised_share: float = P(
        1.0, unit="share", ge=0, le=1,
        description="Share of request-authorise pilots the centre authorises at central_local 0 (unauthorised "
        "requests never become pilots); central_local c authorises authorised_share + (1 - authorised_share) x c.",
        why="1 reproduces today's model (every request becomes a pilot); seed 004 reports that many requests go "
            "unanswered: set below 1 to study it.")
    local: float = P(
        0.0, unit="0-1", ge=0, le=1,
        description="Local-level coordination (地方层级协同: provincial departments, FTZ areas, firms and social "
        "organisations): raises implementation quality by quality_gain x local x firm weight of the reform.",
        why="seed 004: local implementation and public services do not fully meet firms' expectations; partnership "
            "with firms and joint platforms fit them better. 0 = the reference level, today's model.")
    quality_gain: float = P(
        0.5, unit="factor", ge=0, le=10,
        description="Largest rise in implementation quality from local-level coordination (local 1, a firm-facing "
        "reform).",
        why="Assumed: half again as good, about the distance between the leading group's and no leadership's "
            "coordination factor (1.05 vs 0.75, seed 000).")
    firm_categories: list[str] = P(
        ["investment", "trade"], unit="-", description="Categories of reforms firms use directly (firm weight 1).",
        why="seed 004: local coordination is about matching what market actors (市场主体) expect; investment and "
            "trade facilitation are the reforms firms deal with (seed 000: 97 + 84 of the 349).")
    other_weight: float = P(
        0.5, unit="0-1", ge=0, le=1,
        description="Firm weight of the other categories (how much local-level coordination helps them).",
        why="Departments must still coordinate for every reform (条块); half assumed.")

    @field_validator("firm_categories")
    @classmethod
    def _firm_categories(cls, value: list[str]) -> list[str]:
        return _known_category_list(value)


class CollaborationParams(Section):
    """Benefit sharing, industrial-chain linkage and collaborative governance (seeds 001, 003, 004); off by default."""

    benefit_sharing: BenefitSharingParams = Field(default_factory=BenefitSharingParams)
    industry_chain: IndustryChainParams = Field(default_factory=IndustryChainParams)
    governance: GovernanceParams = Field(default_factory=GovernanceParams)


# ----------------------------------------------------------------------------------------- regions
class RegionOverride(Section):
    """Institutions or traits of one region that differ from the scenario-wide setting."""

    leadership: Leadership | None = None
    working_system: WorkingSystem | None = None
    fault_tolerance: float | None = Field(None, ge=0, le=1)
    feedback: Feedback | None = None
    assessment_weight: float | None = Field(None, ge=0, le=10)
    reward: float | None = Field(None, ge=0, le=10)
    penalty: float | None = Field(None, ge=0, le=10)
    capacity: float | None = Field(None, gt=0, le=100)
    risk_aversion: float | None = Field(None, ge=0, le=100)


class RegionParams(Section):
    """Traits of local governments."""

    capacity_elasticity: float = P(0.5, unit="-", ge=0, le=5,
                                   description="Capacity = (GDP per capita / median) ** elasticity.",
                                   why="Capacity to reform grows with resources, less than proportionally (不能改, brief); assumed.")
    capacity_sd: float = P(0.3, unit="log units", ge=0, le=5,
                           description="Spread of capacity in synthetic networks (lognormal, median 1).",
                           why="Close to the spread of the provincial capacities.")
    risk_aversion: float = P(2.0, unit="1/outcome sd", ge=0, le=100,
                             description="How strongly officials avoid risky reforms without protection.",
                             why="不敢改: fear of blame deters risky reforms (seed 000); magnitude assumed.")
    risk_aversion_sd: float = P(0.0, unit="log units", ge=0, le=5,
                                description="Spread of risk aversion across regions (lognormal).",
                                why="Homogeneous by default, so differences come from institutions.")
    quality_capacity_exponent: float = P(0.5, unit="-", ge=0, le=5,
                                         description="Implementation quality grows as capacity ** exponent.",
                                         why="Assumed.")
    voluntary_capacity_exponent: float = P(0.5, unit="-", ge=0, le=5,
                                           description="Voluntary adoption hazards grow as capacity ** exponent "
                                           "(a region takes up reforms on its own initiative only with the means to).",
                                           why="不能改: some regions cannot reform for lack of capacity (seed 000); "
                                               "local resources drive voluntary adoption (Berry & Berry 1990; Zhu "
                                               "2014). Same exponent as quality, assumed.")
    covariate_effects: dict[str, float] = P(
        {}, unit="log hazard ratio per sd",
        description="Covariates of the regions file (or the real regions' built-in ones) that shift a region's "
        "propensity to adopt voluntarily: every voluntary hazard x exp(sum_k beta_k z_rk), z_rk the covariate "
        "standardised across regions. Binding mandates are not affected.",
        why="None: the embedded default has no covariates in it. Internal determinants enter the hazard of "
            "adoption in the event-history tradition (Berry & Berry 1990); calibration can fit the coefficients.")
    overrides: dict[str, RegionOverride] = P({}, unit="-",
                                             description="Per-region institutions or traits, keyed by region name.",
                                             why="None: the default applies one design everywhere.")

    @field_validator("covariate_effects")
    @classmethod
    def _effects(cls, value: dict) -> dict:
        for name, beta in value.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
                raise ValueError(f"covariate {shorten(name)}: a covariate's name is letters, digits and '_' (a "
                                 f"column of the regions file)")
            if not -10 <= beta <= 10:
                raise ValueError(f"coefficient of {name!r} must be between -10 and 10 log hazard ratios per sd "
                                 f"(got {beta:g})")
        return value


# ------------------------------------------------------------------------------------------ failure
class FailureParams(Section):
    """When an adoption fails, and what follows."""

    enabled: bool = P(True, unit="-", description="Whether adoptions can fail at all.",
                      why="On: reforms do fail (seed 000, fault tolerance); off for pure diffusion checks such as Bass.")
    threshold: float = P(0.0, unit="benefit units", ge=-10, le=10,
                         description="An adoption fails when its outcome (benefit x fit x quality + noise) is below this.",
                         why="A reform that makes things worse than before has failed.")
    blame_half_life_months: float = P(9.3, unit="months", gt=0, le=1200,
                                      description="Time in which accumulated blame halves (exponential decay).",
                                      why="Blame fades over a couple of years (a fifth lost per quarter); assumed.")
    blame_weight: float = P(1.0, unit="factor", ge=0, le=100,
                            description="How much accumulated blame raises the deterrent of risk.",
                            why="Assumed.")


class OutputParams(Section):
    """How outputs are summarised."""

    national_share: float = P(0.9, unit="share", ge=0, le=1,
                              description="An innovation counts as national once this share of regions has adopted it.",
                              why="90% coverage, the upper coverage mark used throughout.")
    mature_pilot_years: float = P(3.0, unit="years", ge=0, le=100,
                                  description="Age a pilot must have reached by the end of a run to count in the "
                                  "exposure-adjusted share never scaled up (younger pilots have had no chance yet).",
                                  why="Batch items were promoted one to three years after their pilots began "
                                      "(data/batches.csv: the 2017 wave fed the 2018 batch).")


# -------------------------------------------------------------------------------- central policies
BINDINGNESS = ("binding", "guided", "recommended")


class PolicyText(Section):
    """A policy's title in English and Chinese."""

    en: str = P("", unit="text", description="In English.", why="Optional: the id names the policy.")
    zh: str = P("", unit="text", description="In Chinese (简体中文).", why="Optional: the id names the policy.")


class PolicyScope(Section):
    """The regions a central policy is issued to, by cluster (data/clusters.csv) or by name."""

    clusters: list[str] = P([], unit="-", description="Names of regional clusters whose members are in scope.",
                            why="None unless given.")
    regions: list[str] = P([], unit="-", description="Names of regions in scope.", why="None unless given.")

    @model_validator(mode="after")
    def _not_empty(self) -> PolicyScope:
        if not self.clusters and not self.regions:
            raise ValueError("a scope mapping needs clusters or regions (or write scope: all / scope: ftz)")
        return self


class PolicyPilot(Section):
    """Pilot first: the policy is tried in some regions, evaluated, and the centre then decides on the evidence."""

    regions: list[str] = P(..., unit="-", min_length=1, description="Regions that pilot the policy (the first is its origin).",
                           why="Required: who pilots is the design being studied.")
    start: _Date = P(..., unit="date", description="Date the pilots start (first day of a month).",
                     why="Required.")
    evaluation_months: float = P(12, unit="months", gt=0, le=1200, description="Months of piloting before the centre decides.",
                                 why="A year: pilots are summarised and evaluated once a year (seed 000, annual "
                                     "assessment); assumed.")

    @field_validator("start")
    @classmethod
    def _first_of_month(cls, value: _Date) -> _Date:
        return TimeParams._first_of_month(value)


class PolicySpec(Section):
    """One named central policy: what the centre issues, when, to whom, how binding, and what it is like."""

    id: str = P(..., unit="-", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                description="Short identifier (letters, digits, '-', '_', '.'), unique in the scenario.",
                why="Required: names the policy in tables and charts.")
    title: PolicyText = Field(default_factory=PolicyText, description="Title in English and Chinese.")
    date: _Date | None = P(None, unit="date", description="Date the centre issues it (first day of a month); "
                           "omitted for a pilot-first policy, which is decided at the end of its evaluation.",
                           why="Required unless the policy is piloted first.")
    bindingness: Literal["binding", "guided", "recommended"] = P(
        "binding", unit="-", description="binding: ordered, assessed, with a deadline; guided: assessed guidance "
        "(semi-binding); recommended: a best practice for reference.",
        why="Binding, like the State Council's replication notices (seed 000).")
    deadline_months: float | None = P(None, unit="months", gt=0, le=1200,
                                      description="Months to comply (binding: required; guided: optional, pressure "
                                      "escalates after it; recommended: none).",
                                      why="No default: a deadline is part of the order being studied.")
    scope: Literal["all", "ftz"] | PolicyScope = P(
        "all", unit="-", description="all regions, ftz (regions with an FTZ open on the issue date), or "
        "{clusters: [...], regions: [...]}.", why="National policies apply to every province.")
    category: str = P("investment", unit="-", description="Category (as in data/categories_349.csv, or a new name).",
                      why="Investment is the largest category of the 349 replicated achievements (97, seed 000).")
    benefit: float = P(0.5, unit="benefit units", ge=-10, le=10, description="True (hidden) benefit.",
                       why="innovations.benefit_mean: a typical reform.")
    risk: float = P(0.5, unit="outcome sd", ge=0, le=10, description="Spread of an adopter's outcome.",
                    why="Middle of innovations.risk_min..risk_max.")
    complexity: float = P(1.0, unit="-", gt=0, le=100, description="Implementation complexity.",
                          why="The median of generated innovations.")
    pilot: PolicyPilot | None = P(None, unit="-", description="Optional: pilot first, then a decision by the centre "
                                  "on the evidence.", why="None: issued directly on its date.")

    @field_validator("date")
    @classmethod
    def _first_of_month(cls, value: _Date | None) -> _Date | None:
        return None if value is None else TimeParams._first_of_month(value)

    @model_validator(mode="after")
    def _consistent(self) -> PolicySpec:
        if self.pilot is None and self.date is None:
            raise ValueError(f"policy {self.id!r}: give its date (when the centre issues it), or a pilot block "
                             f"(pilot first, decided after the evaluation)")
        if self.pilot is not None and self.date is not None:
            raise ValueError(f"policy {self.id!r}: a pilot-first policy is issued when the centre decides, "
                             f"pilot.start + pilot.evaluation_months; remove date (or remove pilot)")
        if self.bindingness == "binding" and self.deadline_months is None:
            raise ValueError(f"policy {self.id!r}: a binding policy needs deadline_months (e.g. 24)")
        if self.bindingness == "recommended" and self.deadline_months is not None:
            raise ValueError(f"policy {self.id!r}: a recommended policy has no deadline; remove deadline_months "
                             f"or make it guided or binding")
        return self

    @property
    def decision(self) -> _Date:
        """When the centre issues (or, for a pilot-first policy, decides on) it."""
        if self.pilot is None:
            return self.date
        months = self.pilot.start.month - 1 + int(round(self.pilot.evaluation_months))
        return _Date(self.pilot.start.year + months // 12, months % 12 + 1, 1)


class Parameters(Section):
    """Every parameter of one model run."""

    time: TimeParams = Field(default_factory=TimeParams)
    network: NetworkParams = Field(default_factory=NetworkParams)
    innovations: InnovationParams = Field(default_factory=InnovationParams)
    channels: ChannelParams = Field(default_factory=ChannelParams)
    institutions: InstitutionParams = Field(default_factory=InstitutionParams)
    coordination: CoordinationParams = Field(default_factory=CoordinationParams)
    collaboration: CollaborationParams = Field(default_factory=CollaborationParams)
    regions: RegionParams = Field(default_factory=RegionParams)
    failure: FailureParams = Field(default_factory=FailureParams)
    output: OutputParams = Field(default_factory=OutputParams)
    policies: list[PolicySpec] = P([], unit="-", description="Named central policies issued on known dates, on top "
                                   "of (or, with innovations.expected_total 0 and channels.mandate.schedule none, "
                                   "instead of) the FTZ pilots promoted in batches.",
                                   why="None: the historical default promotes FTZ pilots in the real batches.")

    @model_validator(mode="after")
    def _unique_policies(self) -> Parameters:
        seen = set()
        for policy in self.policies:
            if policy.id in seen:
                raise ValueError(f"policies: the id {policy.id!r} is used twice; give each policy its own id")
            seen.add(policy.id)
            first = policy.date if policy.pilot is None else policy.pilot.start
            if first < self.time.start:
                raise ValueError(f"policies: {policy.id}: it starts on {first.isoformat()}, before the run "
                                 f"({self.time.start.isoformat()}); move its date or time.start")
        return self

    @model_validator(mode="after")
    def _world_defaults(self) -> Parameters:
        """Fill the settings whose default depends on the world (see WORLD_DEFAULTS): China's FTZ waves and
        batch schedule on the networks built on the real provinces, none elsewhere. Filled values are not
        marked as set, so a copy with another network derives them again (``with_changes``)."""
        china = self.network.china
        for path, (on_china, elsewhere) in WORLD_DEFAULTS.items():
            section, name = _section(self, path)
            if getattr(section, name) is None:
                object.__setattr__(section, name, on_china if china else elsewhere)   # not marked as set
        return self

    @model_validator(mode="after")
    def _risk_range(self) -> Parameters:
        if self.innovations.risk_min > self.innovations.risk_max:
            raise ValueError(f"innovations.risk_min ({self.innovations.risk_min}) must not exceed "
                             f"innovations.risk_max ({self.innovations.risk_max})")
        return self


# ------------------------------------------------------------------------------------------ helpers
#: settings whose default depends on whether the world is China: dotted path -> (on the networks built on
#: the real provinces, on any other network). A scenario that sets them keeps its value.
WORLD_DEFAULTS = {
    "network.ftz_share": (22 / 31, 0.0),
    "channels.mandate.schedule": ("historical", "none"),
}


def _section(params: BaseModel, dotted: str) -> tuple[BaseModel, str]:
    *parents, name = dotted.split(".")
    node = params
    for part in parents:
        node = getattr(node, part)
    return node, name


def inherited_world_defaults(params: BaseModel) -> dict[str, Any]:
    """The world-dependent settings (WORLD_DEFAULTS) a scenario did not set, with the values it got."""
    out = {}
    for path in WORLD_DEFAULTS:
        section, name = _section(params, path)
        if name not in section.model_fields_set:
            out[path] = getattr(section, name)
    return out


def dump_as_given(params: BaseModel) -> dict:
    """``model_dump(mode="json")`` with the world-dependent settings the scenario left unset removed, so
    that validating the result derives them again from its (possibly changed) network."""
    data = params.model_dump(mode="json")
    for path in inherited_world_defaults(params):
        *parents, name = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node.pop(name, None)
    return data


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_table(value: dict, keys: tuple[str, ...], low: float = 0, high: float = 10) -> dict:
    """A mapping-valued parameter: exactly ``keys``, each value finite (pydantic) and within [low, high]."""
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise ValueError(f"unknown key {shorten(unknown[0])}{_did_you_mean(unknown[0], keys)}; allowed: "
                         f"{', '.join(keys)}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise ValueError(f"missing key(s) {', '.join(missing)}: give a value for each of {', '.join(keys)}")
    outside = [k for k, v in value.items() if not low <= v <= high]
    if outside:
        raise ValueError(f"value for {outside[0]!r} must be between {low:g} and {high:g} (got {value[outside[0]]:g})")
    return value


def _field_names(model: type[BaseModel], path: tuple) -> list[str]:
    """Names allowed at a location in the schema, for 'did you mean' hints."""
    current: Any = model
    for part in path:
        if isinstance(part, int) or current is None:
            return []
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        current = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
        if current is None and annotation is not None:
            args = getattr(annotation, "__args__", ())
            current = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return list(getattr(current, "model_fields", {}) or [])


#: keys that model 0.2.0 renamed when it moved every rate to per year and every lag to months or years:
#: old dotted path -> the sentence that replaces "unknown name"
RENAMED = {
    "time.period_months": "time.step (week, month, quarter, half_year or year): 1 month is 'month', 3 'quarter', "
                          "6 'half_year', 12 'year'",
    "time.steps": "time.years (the run's length in years), or the scenario's own steps or until",
    "innovations.burst_decay": "innovations.burst_decay_years (years; 4 quarterly steps = 1.0)",
    "innovations.pathways.authorisation_lag": "innovations.pathways.authorisation_lag_months (months; steps x 3 at quarterly steps)",
    "innovations.pathways.evaluation_lag": "innovations.pathways.evaluation_lag_months (months; steps x 3 at quarterly steps)",
    "channels.spontaneous.rate": "channels.spontaneous.rate_per_year (1/year; a per-quarter rate x 4)",
    "channels.learning.weight": "channels.learning.weight_per_year (1/year; a per-quarter weight x 4)",
    "channels.competition.weight": "channels.competition.weight_per_year (1/year; a per-quarter weight x 4)",
    "channels.mandate.weight": "channels.mandate.weight_per_year (1/year; a per-quarter weight x 4)",
    "channels.mandate.interval": "channels.mandate.interval_months (months; steps x 3 at quarterly steps)",
    "channels.mandate.first_batch_step": "channels.mandate.first_batch (a date, e.g. 2014-10-01)",
    "channels.mandate.deadline": "channels.mandate.deadline_months (months; steps x 3 at quarterly steps)",
    "coordination.lead_term": "coordination.lead_term_months (months; steps x 3 at quarterly steps)",
    "failure.blame_decay": "failure.blame_half_life_months (months in which blame halves; a share d kept per "
                           "quarter is 3 ln 0.5 / ln d months)",
}


def renamed(path: str) -> str | None:
    """The sentence for a key that model 0.2.0 renamed, or None."""
    new = RENAMED.get(path)
    return None if new is None else (f"{path} was replaced in model version 0.2.0 by {new}; "
                                     f"rates are now per year and durations in months or years")


def describe_errors(error: ValidationError, root: type[BaseModel] = None, prefix: str = "") -> list[str]:
    """Turn a pydantic error into sentences: field path, value given, what is allowed."""
    root = root or Parameters
    lines = []
    problems = [dict(item, loc=tuple(p for p in item["loc"] if not _UNION_BRANCH.fullmatch(str(p))))
                for item in error.errors()]
    deeper = {item["loc"][:n] for item in problems for n in range(len(item["loc"]))}
    problems = [item for item in problems   # "not a list" of a union branch when the other branch says more
                if not (item["type"] in ("list_type", "dict_type", "model_type") and item["loc"] in deeper)]
    for item in problems[:MAX_ERROR_LINES]:
        path = ".".join(str(p) for p in item["loc"])
        where = f"{prefix}{path}" if path else (prefix.rstrip(".") or "parameters")
        given = item.get("input")
        kind = item["type"]
        if kind == "extra_forbidden" and renamed(path.removeprefix("parameters.")):
            lines.append(f"{prefix}{renamed(path.removeprefix('parameters.'))}")
            continue
        if kind == "extra_forbidden":
            parent = item["loc"][:-1]
            names = _field_names(root, parent)
            hint = _did_you_mean(item["loc"][-1], names)
            allowed = f"; allowed here: {', '.join(names)}" if names else ""
            lines.append(f"{where}: unknown name{hint}{allowed}")
            continue
        message = item["msg"].removeprefix("Value error, ")
        shown = "" if isinstance(given, dict) else f" (given: {shorten(given)})"   # a mapping says nothing
        if kind == "literal_error":
            choice = str(item.get("ctx", {}).get("expected", ""))
            options = [c.strip().strip("'") for c in choice.replace(" or ", ",").split(",") if c.strip()]
            message = f"expected one of {choice}{_did_you_mean(given, options)}"
        lines.append(f"{where}: {message}{shown}" if path or prefix else f"{message}{shown}")
    if len(problems) > MAX_ERROR_LINES:
        lines.append(f"... and {len(problems) - MAX_ERROR_LINES} more problems of the same file; fix these first")
    return lines


MAX_ERROR_LINES = 20   # problems listed for one file: a long list of bad values would bury the first
_UNION_BRANCH = re.compile(r"[\w-]+\[.*\]")   # pydantic's names of union branches in a location: list[any]


def make_parameters(data: dict | None = None, **sections: Any) -> Parameters:
    """Validate a nested mapping into Parameters; raise ValueError with one sentence per problem."""
    merged = dict(data or {})
    merged.update(sections)
    try:
        return Parameters.model_validate(merged)
    except ValidationError as error:
        raise ValueError("invalid parameters:\n  " + "\n  ".join(describe_errors(error))) from None


def with_changes(params: Parameters, changes: dict[str, Any]) -> Parameters:
    """Return a copy with dotted-path changes applied, e.g. {"institutions.fault_tolerance": 0.9}; validated."""
    data = dump_as_given(params)
    for dotted, value in changes.items():
        if renamed(dotted):
            raise ValueError(renamed(dotted))
        node = data
        parts = dotted.split(".")
        for depth, part in enumerate(parts[:-1]):
            if isinstance(node, dict) and part not in node and _is_mapping_param(".".join(parts[:depth])):
                node[part] = {}   # a region without an override yet: regions.overrides.Henan.fault_tolerance
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"{dotted}: no such parameter{_did_you_mean(part, node if isinstance(node, dict) else [])}")
            node = node[part]
        if not isinstance(node, dict) or (parts[-1] not in node and not _is_mapping_param(dotted)
                                          and dotted not in WORLD_DEFAULTS):
            raise ValueError(f"{dotted}: no such parameter{_did_you_mean(parts[-1], node if isinstance(node, dict) else [])}")
        node[parts[-1]] = value
    return make_parameters(data)


def _is_mapping_param(dotted: str) -> bool:
    return (dotted.startswith("regions.overrides.") or dotted == "regions.overrides"
            or dotted.startswith("regions.covariate_effects."))
