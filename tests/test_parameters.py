"""The parameter schema: one source of truth, and every mistake answered with a sentence."""

import pytest

from diffusion import DiffusionModel, Parameters, make_parameters, with_changes


def test_defaults_are_valid_and_documented():
    params = Parameters()
    schema = Parameters.model_json_schema()

    def walk(node, defs):
        for name, prop in node.get("properties", {}).items():
            ref = prop.get("$ref") or (prop.get("allOf") or [{}])[0].get("$ref")
            if ref:
                walk(defs[ref.split("/")[-1]], defs)
            elif node.get("title") != "RegionOverride":
                assert "why" in prop and "unit" in prop and prop.get("description"), f"{name} lacks unit/why/description"

    walk(schema, schema["$defs"])
    assert params.time.steps == 48


@pytest.mark.parametrize("data, expected", [
    ({"institutions": {"fault_tolerence": 0.5}}, "institutions.fault_tolerence: unknown name (did you mean 'fault_tolerance'?)"),
    ({"institutions": {"fault_tolerance": 1.5}}, "institutions.fault_tolerance: Input should be less than or equal to 1 (given: 1.5)"),
    ({"institutions": {"leadership": "leading_grup"}}, "did you mean 'leading_group'?"),
    ({"channels": {"mandate": {"weight": "fast"}}}, "channels.mandate.weight_per_year"),
    ({"time": {"years": 0}}, "time.years: Input should be greater than 0 (given: 0)"),
    ({"channels": {"learning": {"weight": 0.25}}}, "channels.learning.weight was replaced in model version 0.2.0 by "
                                                  "channels.learning.weight_per_year (1/year"),
    ({"time": {"period_months": 1}}, "time.period_months was replaced in model version 0.2.0 by time.step"),
    ({"failure": {"blame_decay": 0.8}}, "failure.blame_half_life_months (months"),
    ({"network": {"kind": "edge_list"}}, "needs network.edge_list"),
    ({"innovations": {"risk_min": 0.9, "risk_max": 0.2}}, "risk_min (0.9) must not exceed"),
    ({"institutions": {"authority": {"leading_group": 1.0}}}, "missing key(s) reform_office"),
])
def test_schema_errors_name_field_value_and_what_is_allowed(data, expected):
    with pytest.raises(ValueError) as error:
        make_parameters(data)
    assert expected in str(error.value)


def test_model_rejects_unknown_region_override_with_suggestion():
    with pytest.raises(ValueError, match="unknown region 'Shangai' \\(did you mean 'Shanghai'\\?\\)"):
        DiffusionModel({"regions": {"overrides": {"Shangai": {"leadership": "none"}}}}, seed=0)


def test_model_rejects_unknown_cluster():
    with pytest.raises(ValueError, match="unknown cluster 'Yangtze Delta'"):
        DiffusionModel({"coordination": {"clusters": ["Yangtze Delta"]}}, seed=0)


def test_model_rejects_bad_seed_and_bad_params():
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        DiffusionModel(seed=-1)
    with pytest.raises(ValueError, match="params must be a Parameters object"):
        DiffusionModel(params=[1, 2])


def test_with_changes_applies_dotted_paths_and_rejects_unknown():
    params = with_changes(Parameters(), {"institutions.fault_tolerance": 0.9})
    assert params.institutions.fault_tolerance == 0.9
    with pytest.raises(ValueError, match="no such parameter"):
        with_changes(Parameters(), {"institutions.fault_tolerence": 0.9})


def test_an_old_key_in_a_sweep_or_change_names_its_replacement():
    from diffusion import with_changes
    with pytest.raises(ValueError, match="channels.mandate.deadline was replaced in model version 0.2.0 by "
                                         r"channels.mandate.deadline_months \(months"):
        with_changes(make_parameters({}), {"channels.mandate.deadline": 4})
