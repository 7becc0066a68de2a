"""Map model steps to calendar periods: step 1 is the period starting at ``time.start``."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd


class Timeline:
    """Calendar of a run: step k (1-based) covers [start + (k-1) periods, start + k periods)."""

    def __init__(self, start: date, period_months: int, steps: int):
        self.start = start
        self.period_months = period_months
        self.steps = steps

    def date_of(self, step: int) -> date:
        """First day of the period of a step."""
        months = (step - 1) * self.period_months
        year, month = divmod(self.start.month - 1 + months, 12)
        return date(self.start.year + year, month + 1, 1)

    def step_of(self, day: date) -> int:
        """Step whose period contains a date (may be < 1 or > steps)."""
        months = (day.year - self.start.year) * 12 + (day.month - self.start.month)
        return int(np.floor(months / self.period_months)) + 1

    def label(self, step: int) -> str:
        """Human label of a step: '2013Q3' for quarters, '2013-07' for months, '2013H2', '2013'."""
        d = self.date_of(step)
        if self.period_months == 3:
            return f"{d.year}Q{(d.month - 1) // 3 + 1}"
        if self.period_months == 6:
            return f"{d.year}H{(d.month - 1) // 6 + 1}"
        if self.period_months == 12:
            return f"{d.year}"
        return f"{d.year}-{d.month:02d}"

    def dates(self, steps) -> pd.Series:
        """Dates (pandas datetime64) of an array of steps; vectorised through a lookup table."""
        steps = np.asarray(steps, dtype=int)
        if not steps.size:
            return pd.Series([], dtype="datetime64[ns]")
        lo = min(int(steps.min()), 1)
        hi = max(int(steps.max()), self.steps)
        return pd.Series(_date_table(self.start, self.period_months, lo, hi)[steps - lo])

    @property
    def end(self) -> date:
        return self.date_of(self.steps + 1)


@lru_cache(maxsize=64)
def _date_table(start: date, period_months: int, lo: int, hi: int) -> np.ndarray:
    """First days of steps lo..hi as datetime64[ns]; shared by every run with the same calendar
    (an ensemble asks for the same table once per replicate). Read-only."""
    calendar = Timeline(start, period_months, hi)
    table = pd.to_datetime([calendar.date_of(s) for s in range(lo, hi + 1)]).to_numpy()
    table.flags.writeable = False
    return table
