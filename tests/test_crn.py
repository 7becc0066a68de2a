"""Common random numbers: replicate k of two scenarios faces the same luck wherever their states agree.

Every random decision draws from a stream keyed by (seed, replicate, purpose, region, innovation,
step): a paired comparison of two designs then shows the lever, not the run-to-run noise.
"""

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner

from diffusion import DiffusionModel, make_parameters, streams
from diffusion.cli import main
from diffusion.ensemble import run_ensemble

REPLICATES = 50


def final_coverage(params, seeding="common"):
    metrics = run_ensemble(params, REPLICATES, root_seed=0, seeding=seeding).tables["metrics"]
    return metrics.sort_values("run")["coverage"].to_numpy()


def test_paired_differences_are_far_less_noisy_than_unpaired_ones():
    """Claim: for fault tolerance 0.30 vs 0.35 on the baseline, the variance of the paired difference in
    final coverage over 50 replicates is at least 5 times smaller than that of unpaired replicates
    (seeding: independent, the old behaviour)."""
    low = make_parameters({"institutions": {"fault_tolerance": 0.30}})
    high = make_parameters({"institutions": {"fault_tolerance": 0.35}})
    paired = final_coverage(high) - final_coverage(low)
    unpaired = final_coverage(high, "independent") - final_coverage(low, "independent")
    assert paired.var(ddof=1) * 5 <= unpaired.var(ddof=1), (paired.var(ddof=1), unpaired.var(ddof=1))
    assert abs(paired.mean() - unpaired.mean()) < 4 * unpaired.std(ddof=1) / np.sqrt(REPLICATES)   # same effect


def test_a_scenario_under_another_name_gives_identical_tables(tmp_path):
    for name, title in (("first", "One name"), ("second", "Another name")):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({
            "name": name, "extends": "baseline", "title": {"en": title, "zh": title}, "replicates": 3,
            "until": "2018Q4"}))
        result = CliRunner().invoke(main, ["run", str(tmp_path / f"{name}.yaml"), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    for table in ("metrics", "series", "adoptions", "innovations"):
        first = pd.read_parquet(tmp_path / "first" / "tables" / f"{table}.parquet")
        second = pd.read_parquet(tmp_path / "second" / "tables" / f"{table}.parquet")
        pd.testing.assert_frame_equal(first, second)


def test_innovations_are_shared_unless_their_parameters_differ():
    base = DiffusionModel(make_parameters({}), seed=3, replicate=2)
    lever = DiffusionModel(make_parameters({"institutions": {"fault_tolerance": 0.9, "leadership": "none"}}),
                           seed=3, replicate=2)
    other = DiffusionModel(make_parameters({"innovations": {"expected_total": 200}}), seed=3, replicate=2)
    assert np.array_equal(base.innovations.birth_years, lever.innovations.birth_years)
    assert np.array_equal(base.innovations.fit, lever.innovations.fit)
    assert base.n_innovations != other.n_innovations


def test_the_same_decision_gets_the_same_draw_and_different_ones_do_not():
    key = streams.run_key(0, 4)
    coordinates = np.array([3, 3, 4]), np.array([7, 7, 7]), np.array([12, 12, 12])
    u = streams.uniforms(key, streams.ADOPT, *coordinates)
    assert u[0] == u[1] != u[2]
    assert streams.uniforms(streams.run_key(0, 5), streams.ADOPT, *coordinates)[0] != u[0]   # another replicate
    assert streams.uniforms(key, streams.CORRECT, *coordinates)[0] != u[0]                    # another purpose


def test_independent_seeding_keys_replicates_by_the_parameters_too():
    a, b = make_parameters({}), make_parameters({"institutions": {"fault_tolerance": 0.35}})
    assert streams.run_key(0, 1) == streams.run_key(0, 1)
    from diffusion.scenario import parameter_hash
    assert streams.run_key(0, 1, parameter_hash(a)) != streams.run_key(0, 1, parameter_hash(b))
    common = [DiffusionModel(p, seed=0, replicate=1).innovations.n for p in (a, b)]
    independent = [DiffusionModel(p, seed=0, replicate=1, parameter_hash=parameter_hash(p)).innovations.n
                   for p in (a, b)]
    assert common[0] == common[1] and independent[0] != independent[1]


def test_the_keyed_uniforms_are_uniform_and_unrelated_to_their_neighbours():
    """Neighbouring coordinates (regions, innovations, steps one apart) give unrelated draws."""
    r, i, t = (a.ravel() for a in np.meshgrid(np.arange(31), np.arange(64), np.arange(1, 101), indexing="ij"))
    u = streams.uniforms(streams.run_key(11, 0), streams.ADOPT, r, i, t)
    n = u.size
    counts = np.histogram(u, bins=20, range=(0, 1))[0]
    chi2 = ((counts - n / 20) ** 2 / (n / 20)).sum()
    assert chi2 < 50          # 19 degrees of freedom: 50 is far in the tail (p < 1e-4)
    grid = u.reshape(31, 64, 100)
    for axis in range(3):     # correlation of neighbours along each coordinate
        a, b = np.moveaxis(grid, axis, 0)[:-1].ravel(), np.moveaxis(grid, axis, 0)[1:].ravel()
        assert abs(np.corrcoef(a, b)[0, 1]) < 4 / np.sqrt(a.size)
    z = streams.normals(streams.run_key(11, 0), r, i, t)
    assert abs(z.mean()) < 4 / np.sqrt(n) and abs(z.std() - 1) < 0.01
