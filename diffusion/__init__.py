"""ftz-diffusion: an agent-based model of how reform innovations spread from China's Pilot Free Trade Zones."""

__version__ = "0.3.0"

from .model import DiffusionModel  # noqa: E402
from .params import Parameters, make_parameters, with_changes  # noqa: E402

from .api import (attribute, backtest, calibrate, compare, discover, forecast, library, load, run,  # noqa: E402
                  sensitivity, sweep)
from .outputs import metric  # noqa: E402

__all__ = ["DiffusionModel", "Parameters", "make_parameters", "with_changes", "__version__", "load", "library", "run",
           "compare", "sweep", "sensitivity", "discover", "attribute", "calibrate", "forecast",
           "backtest", "metric"]
