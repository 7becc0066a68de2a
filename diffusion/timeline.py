"""Map model steps to calendar time: step 1 is the period starting at ``time.start``.

A step is one week, month, quarter, half-year or year (``time.step``). Every rate of the model is per
year and every lag, term and deadline in months or years; this module is where they meet the step:

- a hazard lambda (1/year) acting over one step of dt years gives the probability ``1 - exp(-lambda dt)``;
- a calendar date has a position in years since ``start`` (:meth:`Timeline.years_of`), which says the step
  it falls in and what fraction of that step is left after it;
- a lag in months becomes a whole number of steps (:meth:`Timeline.steps_in`), rounded to the nearest.

Months count as twelfths of a year and weeks as 7 / 365.25 years, so a quarterly and a monthly run put
a date at the same position in years.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

#: step name -> months per step (None: the week, counted in days)
STEP_MONTHS = {"week": None, "month": 1, "quarter": 3, "half_year": 6, "year": 12}
STEP_NAMES = tuple(STEP_MONTHS)
DAYS_PER_YEAR = 365.25
_MONTHS_TO_STEP = {months: name for name, months in STEP_MONTHS.items() if months}


def step_name(step: str | int) -> str:
    """The step's name from a name or (for reading observed data) a number of months."""
    if isinstance(step, (int, np.integer)) and not isinstance(step, bool):
        if int(step) not in _MONTHS_TO_STEP:
            raise ValueError(f"a step of {step} months is not supported; allowed: 1, 3, 6 or 12 months, or a week")
        return _MONTHS_TO_STEP[int(step)]
    if step not in STEP_MONTHS:
        raise ValueError(f"unknown step {step!r}; allowed: {', '.join(STEP_NAMES)}")
    return step


def step_years(step: str | int) -> float:
    """Length of one step in years."""
    months = STEP_MONTHS[step_name(step)]
    return 7.0 / DAYS_PER_YEAR if months is None else months / 12.0


class Timeline:
    """Calendar of a run: step k (1-based) covers [start + (k-1) dt, start + k dt)."""

    def __init__(self, start: date, step: str | int, steps: int):
        self.start = start
        self.step = step_name(step)
        self.months = STEP_MONTHS[self.step]    # None for weeks
        self.dt = step_years(self.step)           # years per step
        self.steps = steps

    @property
    def period_months(self) -> int | None:
        """Months per step (None for weekly steps)."""
        return self.months

    def date_of(self, step: int) -> date:
        """First day of the period of a step."""
        if self.months is None:
            return self.start + timedelta(days=7 * (step - 1))
        months = (step - 1) * self.months
        year, month = divmod(self.start.month - 1 + months, 12)
        return date(self.start.year + year, month + 1, 1)

    def years_of(self, day: date) -> float:
        """Position of a date in years since the start (months as twelfths; weeks: days / 365.25)."""
        if self.months is None:
            return (day - self.start).days / DAYS_PER_YEAR
        months = (day.year - self.start.year) * 12 + (day.month - self.start.month)
        return months / 12.0 + (day.day - 1) / DAYS_PER_YEAR

    def step_at(self, years: float) -> int:
        """Step whose period contains a time in years since the start (may be < 1 or > steps)."""
        return int(self.steps_at(years))

    def steps_at(self, years: np.ndarray) -> np.ndarray:
        """:meth:`step_at` for an array of times."""
        return (np.floor(np.asarray(years, float) / self.dt + 1e-9) + 1).astype(np.int64)

    def step_of(self, day: date) -> int:
        """Step whose period contains a date (may be < 1 or > steps)."""
        if self.months is None:
            return (day - self.start).days // 7 + 1
        months = (day.year - self.start.year) * 12 + (day.month - self.start.month)
        return int(np.floor(months / self.months)) + 1

    def start_years(self, step: int) -> float:
        """Time in years since the start at which a step begins."""
        return (step - 1) * self.dt

    def steps_in(self, months: float) -> int:
        """A duration in months as a whole number of steps (nearest; half a step rounds up)."""
        return int(np.floor(months / 12.0 / self.dt + 0.5))

    def label(self, step: int) -> str:
        """Human label of a step: '2013Q3' for quarters, '2013-07' for months, '2013H2', '2013', or the
        first day of a week."""
        d = self.date_of(step)
        if self.months == 3:
            return f"{d.year}Q{(d.month - 1) // 3 + 1}"
        if self.months == 6:
            return f"{d.year}H{(d.month - 1) // 6 + 1}"
        if self.months == 12:
            return f"{d.year}"
        if self.months is None:
            return d.isoformat()
        return f"{d.year}-{d.month:02d}"

    def dates(self, steps) -> pd.Series:
        """Dates (pandas datetime64) of an array of steps; vectorised through a lookup table."""
        steps = np.asarray(steps, dtype=int)
        if not steps.size:
            return pd.Series([], dtype="datetime64[ns]")
        lo = min(int(steps.min()), 1)
        hi = max(int(steps.max()), self.steps)
        return pd.Series(_date_table(self.start, self.step, lo, hi)[steps - lo])

    @property
    def end(self) -> date:
        return self.date_of(self.steps + 1)


@lru_cache(maxsize=64)
def _date_table(start: date, step: str, lo: int, hi: int) -> np.ndarray:
    """First days of steps lo..hi as datetime64[ns]; shared by every run with the same calendar
    (an ensemble asks for the same table once per replicate). Read-only."""
    calendar = Timeline(start, step, hi)
    table = pd.to_datetime([calendar.date_of(s) for s in range(lo, hi + 1)]).to_numpy()
    table.flags.writeable = False
    return table
