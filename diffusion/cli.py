"""Command line: ``diffusion run`` runs the embedded China default and writes its results folder."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from .params import Parameters, make_parameters


def fail(message: str) -> None:
    """Print a user error as a sentence (no traceback) and exit with status 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ftz-diffusion")
def main() -> None:
    """ftz-diffusion: how reform innovations spread from China's Pilot Free Trade Zones."""


@main.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder to create (default: results/baseline-<timestamp>/).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the run's random generator: the same seed gives the same tables.")
@click.option("--steps", type=click.IntRange(min=1, max=2000), default=None,
              help="Number of quarters to simulate (default: 48, 2013Q3 to 2025Q2).")
@click.option("--force", is_flag=True, help="Replace the results folder if it exists.")
def run(out: Path | None, seed: int, steps: int | None, force: bool) -> None:
    """Run the embedded China default and write tables and an adoption chart."""
    from .results import ResultsExistError
    from .run import write_run

    try:
        params = make_parameters({"time": {"steps": steps}}) if steps else Parameters()
        name = "baseline"
        out = out or Path("results") / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"
        summary = write_run(out, params, seed, name, " ".join(sys.argv), force=force)
    except ResultsExistError as error:
        fail(str(error))
    except ValueError as error:
        fail(str(error))
    click.echo(f"ran {summary['steps']} steps to {summary['period']}: {summary['regions']} regions, "
               f"{summary['innovations']} innovations piloted")
    click.echo(f"  binding batches issued: {summary['binding_batches']} ({summary['binding_items']} items mandated); "
               f"best-practice items: {summary['best_practice_items']}")
    click.echo(f"  coverage: {100 * summary['coverage']:.1f}% of region x innovation pairs")
    click.echo(f"  failures: {summary['failures']} ({summary['corrections']} corrected, "
               f"{summary['abandonments']} abandoned)")
    click.echo(f"results: {out}")


if __name__ == "__main__":
    main()
