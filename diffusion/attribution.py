"""Counterfactual channel attribution: each channel's Shapley contribution to coverage and to speed.

The per-adoption hazard shares (``share_<channel>`` of the adoptions and metrics tables) say which
channel's hazard was large *when* an adoption happened. They do not say what would have happened
without the channel: a mandate that comes after learning has done its work still takes the credit of
the adoptions it forces, and an adoption that learning brought about a year before the mandate would
have forced it anyway is counted for learning. This module answers the counterfactual question. Each
replicate is replayed with every subset S of the channels (``params.CHANNELS``) switched on and the
others off, with common random numbers (replicate k of every coalition is keyed by (seed, k) only),
and the outcome v(S) of each of the 2^n coalitions gives channel k's Shapley value

    φ_k = Σ_{S ⊆ N \\ {k}}  |S|! (n − |S| − 1)! / n!  ·  ( v(S ∪ {k}) − v(S) ),      n = |N| = 4,

the mean over all orders of switching the channels on of what switching k on adds. The values add up
to the whole effect, Σ_k φ_k = v(N) − v(∅) (efficiency), and a channel that changes nothing gets 0.

Two outcomes are attributed (``OUTCOMES``): final coverage (the ``coverage`` metric) and the
restricted mean time to 50% coverage (``time_to_50``, years; innovations that never reach 50% count
with the time from birth to the end of the run, so the value is finite in every coalition). A channel
that the scenario itself switches off stays off in every coalition, so its Shapley value is exactly 0.
The equations and how to read the result: docs/attribution.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from .model import DiffusionModel
from .params import CHANNELS, Parameters, with_changes
from .ensemble import map_jobs, run_one
from .tables import _coverage_steps, metrics_row

#: The outcomes attributed, each a number per run: final coverage (share of region x innovation pairs)
#: and the restricted mean years from birth to 50% coverage (censored at the end of the run).
OUTCOMES = ("coverage", "time_to_50")

#: Coalition ``mask`` has channel CHANNELS[k] on where bit k is set: 0 = all off, 2^n - 1 = all on.
FULL = (1 << len(CHANNELS)) - 1


# ----------------------------------------------------------------------------------- coalitions
def members(mask: int) -> tuple[str, ...]:
    """The channels switched on in coalition ``mask`` (bit k = ``CHANNELS[k]``)."""
    return tuple(c for k, c in enumerate(CHANNELS) if mask >> k & 1)


def coalition_name(mask: int) -> str:
    """A coalition as a label: the channels that are on joined by '+', or 'none'."""
    return "+".join(members(mask)) or "none"


def coalition_parameters(params: Parameters, mask: int) -> Parameters:
    """The scenario with the channels outside coalition ``mask`` switched off (the others as they were)."""
    off = {f"channels.{c}.enabled": False for c in CHANNELS if c not in members(mask)}
    return with_changes(params, off) if off else params


def effective_mask(params: Parameters, mask: int) -> int:
    """The channels actually on in coalition ``mask``: those in it that the scenario has on."""
    return sum(1 << k for k, c in enumerate(CHANNELS)
               if mask >> k & 1 and getattr(params.channels, c).enabled)


# -------------------------------------------------------------------------------------- outcomes
def time_to_50(model: DiffusionModel) -> float:
    """Restricted mean years from birth to 50% coverage over the innovations born in the run.

    An innovation that never reaches 50% of regions counts with the years from its birth to the end
    of the run (censored at the horizon), so the value is finite even when no channel is on; it is
    NaN only when no innovation was born.
    """
    birth = model.innovations.birth_step
    born = birth <= model.steps
    if not born.any():
        return float("nan")
    (reached,) = _coverage_steps(model, (0.5,))
    end = np.where(reached > 0, reached, model.steps)
    return float(np.mean(end[born] - birth[born]) * model.dt)


def run_outcomes(model: DiffusionModel) -> dict[str, float]:
    """The attributed outcomes of a finished run, and its mean hazard share of each channel."""
    row = metrics_row(model)
    out = {"coverage": float(row["coverage"]), "time_to_50": time_to_50(model)}
    out.update({f"share_{c}": float(row.get(f"share_{c}", np.nan)) for c in CHANNELS})
    return out


def _coalition_job(job: tuple[Parameters, int, int]) -> dict[str, float]:
    params, seed, replicate = job
    model = run_one(params, seed, replicate)
    outcomes = run_outcomes(model)
    model.release()         # freed now, not at the next full collection (DiffusionModel.release)
    return outcomes


# --------------------------------------------------------------------------------------- Shapley
def shapley_weights(n: int = len(CHANNELS)) -> np.ndarray:
    """|S|! (n - |S| - 1)! / n! for |S| = 0 .. n - 1: the weight of a marginal contribution to a coalition of |S|."""
    return np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])


def shapley_values(values: np.ndarray) -> np.ndarray:
    """Shapley values of the players of a game given as v(S) for every coalition, by bitmask.

    ``values`` has 2^n coalitions on its last axis (``values[..., mask]``; bit k set = player k in S);
    the result has the n players on its last axis. Pure: arrays in, arrays out.
    """
    values = np.asarray(values, dtype=float)
    n = int(round(math.log2(values.shape[-1])))
    if 1 << n != values.shape[-1]:
        raise ValueError(f"a game needs 2^n coalition values on its last axis (given: {values.shape[-1]})")
    weights = shapley_weights(n)
    phi = np.zeros(values.shape[:-1] + (n,))
    for k in range(n):
        for mask in range(1 << n):
            if mask >> k & 1:
                continue
            size = bin(mask).count("1")
            phi[..., k] += weights[size] * (values[..., mask | 1 << k] - values[..., mask])
    return phi


def _nan_mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def _t_interval(values: np.ndarray, level: float = 0.90) -> tuple[float, float]:
    """The t-based ``level`` confidence interval of the mean of ``values`` (NaN with fewer than two)."""
    from scipy import stats

    values = values[~np.isnan(values)]
    if values.size < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size)
    return float(values.mean() - half), float(values.mean() + half)


# ------------------------------------------------------------------------------------- attribute
def attribute(params: Parameters, replicates: int = 10, seed: int = 0, workers: int = 1,
              progress: Callable[[int], None] | None = None, backend=None) -> dict[str, pd.DataFrame]:
    """Shapley attribution of coverage and time to 50% to the channels, with 90% intervals.

    Runs every replicate k < ``replicates`` under each of the 2^n coalitions of channels (16 runs per
    replicate; fewer when the scenario switches a channel off itself, as its coalitions coincide),
    keyed by (``seed``, k) so that the coalitions of a replicate share their random numbers. The
    tables are the same on any number of ``workers``; ``progress(1)`` is called after each run.

    Returns the tables ``shapley`` (outcome x channel: mean, sd, 5-95% of the replicate values, 90%
    confidence interval of the mean, the hazard share for comparison, and the channel's effect alone
    and when it is the last switched off), ``coalitions`` (replicate x coalition: which channels are
    on, the outcomes) and ``shapley_replicates`` (replicate x outcome x channel). The columns are
    described in docs/attribution.md.
    """
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1 (given: {replicates})")
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (given: {workers})")
    masks = range(FULL + 1)
    # coalitions that differ only in channels the scenario has off are the same run: run it once
    effective = {mask: effective_mask(params, mask) for mask in masks}
    unique = sorted(set(effective.values()))
    settings = {mask: coalition_parameters(params, mask) for mask in unique}
    jobs = [(settings[mask], seed, k) for k in range(replicates) for mask in unique]
    results = iter(map_jobs(_coalition_job, jobs, workers, progress, backend=backend))
    runs = {(k, mask): next(results) for k in range(replicates) for mask in unique}

    coalitions = pd.DataFrame([
        {"replicate": k, "coalition": coalition_name(mask), **{c: bool(mask >> i & 1) for i, c in enumerate(CHANNELS)},
         "channels_on": bin(mask).count("1"), "effective": coalition_name(effective[mask]),
         **{o: runs[k, effective[mask]][o] for o in OUTCOMES}}
        for k in range(replicates) for mask in masks])

    hazard = np.array([[runs[k, effective[FULL]][f"share_{c}"] for c in CHANNELS] for k in range(replicates)])
    per_replicate, rows = [], []
    for outcome in OUTCOMES:
        values = coalitions[outcome].to_numpy(float).reshape(replicates, FULL + 1)
        phi = shapley_values(values)
        total = values[:, FULL] - values[:, 0]
        for k in range(replicates):
            per_replicate += [{"replicate": k, "outcome": outcome, "channel": c, "shapley": phi[k, i],
                               "hazard_share": hazard[k, i], "total": total[k]} for i, c in enumerate(CHANNELS)]
        mean_total = float(np.mean(total))
        for i, channel in enumerate(CHANNELS):
            column = phi[:, i]
            alone = values[:, 1 << i] - values[:, 0]                      # v({k}) - v(none)
            leave_one_out = values[:, FULL] - values[:, FULL & ~(1 << i)]  # v(all) - v(all but k)
            low, high = _t_interval(column)
            share = _nan_mean(hazard[:, i])   # NaN in a replicate whose full run had no adoption to share
            rows.append({
                "outcome": outcome, "channel": channel,
                "in_scenario": bool(getattr(params.channels, channel).enabled),
                "mean": float(np.mean(column)), "sd": float(np.std(column, ddof=1)) if replicates > 1 else 0.0,
                "q05": float(np.quantile(column, 0.05)), "q95": float(np.quantile(column, 0.95)),
                "ci_low": low, "ci_high": high,
                "share_of_total": float(np.mean(column)) / mean_total if mean_total else float("nan"),
                "hazard_share": share, "hazard_equivalent": share * mean_total,
                "alone": float(np.mean(alone)), "leave_one_out": float(np.mean(leave_one_out)),
                "all_on": float(np.mean(values[:, FULL])), "all_off": float(np.mean(values[:, 0])),
                "replicates": replicates})
    return {"shapley": pd.DataFrame(rows), "coalitions": coalitions,
            "shapley_replicates": pd.DataFrame(per_replicate)}


# ------------------------------------------------------------------------------------------ chart
def attribution_chart(shapley: pd.DataFrame, lang: str = "en", size: str = "page"):
    """Horizontal bars of each channel's Shapley value with 90% CI whiskers, one panel per outcome;
    diamonds mark what the channel would get if contributions followed its hazard share."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .charts import CHANNEL_COLOURS, SIZES, house_style
    from .i18n import channel_name, t

    outcomes = [o for o in OUTCOMES if o in set(shapley["outcome"])]
    scale = {"coverage": 100.0, "time_to_50": 1.0}   # coverage in percentage points, time in years
    with house_style(size):
        width, height = SIZES[size]
        fig, axes = plt.subplots(1, len(outcomes), figsize=(width, max(2.6, height * 0.8)), sharey=True,
                                 squeeze=False)
        for ax, outcome in zip(axes.ravel(), outcomes):
            frame = shapley[shapley["outcome"] == outcome].set_index("channel").loc[list(CHANNELS)]
            s = scale[outcome]
            y = np.arange(len(frame))
            mean = frame["mean"].to_numpy(float) * s
            low = np.nan_to_num(mean - frame["ci_low"].to_numpy(float) * s)
            high = np.nan_to_num(frame["ci_high"].to_numpy(float) * s - mean)
            ax.barh(y, mean, 0.6, color=[CHANNEL_COLOURS[c] for c in frame.index],
                    xerr=[low, high], capsize=3, error_kw={"lw": 1.0, "ecolor": "0.2"})
            ax.scatter(frame["hazard_equivalent"].to_numpy(float) * s, y, marker="D", s=22, color="white",
                       edgecolors="black", linewidths=1.0, zorder=3)
            ax.axvline(0, color="0.3", lw=0.8)
            ax.set_yticks(y, [channel_name(c, lang) for c in frame.index])
            ax.grid(axis="y", visible=False)
            ax.set_axisbelow(True)
            ax.set_xlabel(t(f"attr_{outcome}_axis", lang))
            total = f"{(frame['all_on'].iloc[0] - frame['all_off'].iloc[0]) * s:+.3g}"
            ax.set_title(f"{t(f'attr_{outcome}_title', lang)}\n{t(f'attr_{outcome}_total', lang, total=total)}",
                         loc="left", fontsize="medium")
        axes.ravel()[0].invert_yaxis()
        handles = [Patch(facecolor="0.6", edgecolor="0.2", label=t("attr_shapley", lang)),
                   Line2D([], [], marker="D", ls="none", markersize=5, markerfacecolor="white",
                          markeredgecolor="black", label=t("attr_hazard", lang))]
        replicates = int(shapley["replicates"].iloc[0])
        fig.suptitle(f"{t('attr_title', lang)}\n({t('attr_note', lang, n=replicates)})", x=0.01, ha="left",
                     fontweight="bold")
        fig.legend(handles=handles, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.02))
        fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


# -------------------------------------------------------------------------------------- results
