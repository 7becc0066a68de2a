"""Every number a seed gives is pinned: a change of numbers is deliberate and visible in review.

tests/golden/summary.json holds summary metrics of five library scenarios at two seeds (two replicates
each). On the platform that wrote it they must match exactly; elsewhere within the stated tolerance
(diffusion/golden.py). Regenerate with  python -m diffusion.golden --write.
"""

import json

from diffusion import golden


def test_this_code_gives_the_golden_numbers():
    stored = json.loads(golden.FILE.read_text(encoding="utf-8"))
    assert set(stored["cases"]) == {f"{s}/seed={seed}" for s in golden.SCENARIOS for seed in golden.SEEDS}
    found = golden.differences(stored, golden.compute())
    assert not found, "\n".join(found[:20]) + "\nregenerate with  python -m diffusion.golden --write  if meant"


def test_a_changed_number_is_caught():
    stored = json.loads(golden.FILE.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(stored["cases"]))
    current["baseline/seed=0"]["adoptions"] = [2 * value for value in current["baseline/seed=0"]["adoptions"]]
    assert any("baseline/seed=0 adoptions" in line for line in golden.differences(stored, current))
