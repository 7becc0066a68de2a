"""Networks: the real provinces by default; synthetic graphs and user edge lists as options."""

import numpy as np
import pytest

from diffusion import DiffusionModel, make_parameters


def test_default_network_is_31_provinces_with_69_ties_all_connected():
    model = DiffusionModel(seed=0)
    graph = model.regions.graph()
    assert graph.number_of_nodes() == 31 and graph.number_of_edges() == 69
    import networkx as nx
    assert nx.is_connected(graph)
    assert graph.has_edge("Guangdong", "Hainan")
    assert (model.regions.ftz_step < 10**6).sum() == 22


def test_without_the_sea_link_hainan_is_isolated():
    model = DiffusionModel({"network": {"sea_links": False}}, seed=0)
    assert model.regions.graph().degree("Hainan") == 0


@pytest.mark.parametrize("kind", ["small_world", "scale_free", "random", "complete"])
def test_synthetic_networks_run(kind):
    model = DiffusionModel({"network": {"kind": kind, "n_regions": 60}, "time": {"years": 3}}, seed=1).run()
    assert model.n_regions == 60 and model.steps == 12
    assert model.regions.adjacency.nnz > 0 and (model.regions.adjacency != model.regions.adjacency.T).nnz == 0


def test_edge_list_from_csv(tmp_path):
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target,weight\nA,B,1\nB,C,2\nC,A,1\nC,D,0.5\n")
    model = DiffusionModel({"network": {"kind": "edge_list", "edge_list": str(edges)}, "time": {"years": 2}}, seed=0).run()
    assert model.regions.names == ["A", "B", "C", "D"]
    assert model.regions.adjacency[2, 1] == 2.0


def test_edge_list_of_real_provinces_keeps_their_data(tmp_path):
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target\nShanghai,Jiangsu\nJiangsu,Zhejiang\nZhejiang,Anhui\n")
    model = DiffusionModel({"network": {"kind": "edge_list", "edge_list": str(edges)}}, seed=0)
    assert np.isfinite(model.regions.gdp_per_capita).all()
    assert model.regions.ftz_step[model.regions.index("Shanghai")] == 1


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    ("from,to\nA,B\n", "missing column(s) source, target"),
    ("source,target\n", "has no rows"),
    ("source,target\nA,A\n", "line 2: self-loop 'A'"),
    ("source,target,weight\nA,B,heavy\n", "line 2: weight 'heavy' is not a positive number"),
    ("source,target,weight\nA,B,1\nB,C,inf\n", "line 3: weight 'inf' is not a positive number"),
])
def test_bad_edge_lists_get_a_sentence(tmp_path, content, message):
    path = tmp_path / "edges.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=message.replace("(", "\\(").replace(")", "\\)")):
        DiffusionModel({"network": {"kind": "edge_list", "edge_list": str(path)}}, seed=0)


def test_region_overrides_apply_to_one_region():
    model = DiffusionModel(make_parameters({"regions": {"overrides": {"Henan": {"leadership": "reform_office",
                                                                                "fault_tolerance": 0.9}}}}), seed=0)
    henan = next(a for a in model.region_agents if a.name == "Henan")
    hubei = next(a for a in model.region_agents if a.name == "Hubei")
    assert henan.leadership == "reform_office" and henan.fault_tolerance == 0.9
    assert hubei.leadership == "leading_group"


def test_prefecture_level_is_the_367_real_regions_tied_by_their_borders():
    import networkx as nx

    model = DiffusionModel({"network": {"kind": "prefectures"}}, seed=0)
    regions = model.regions
    assert regions.n == 367 and regions.kind == "prefectures"
    assert nx.is_connected(regions.graph())
    for municipality in ("Beijing", "Tianjin", "Shanghai", "Chongqing"):
        assert municipality in regions.names
    assert "Guangzhou" in regions.names and "Shenzhen" in regions.names and "Suzhou (Jiangsu)" in regions.names
    assert regions.graph().has_edge("Guangzhou", "Foshan") and not regions.graph().has_edge("Guangzhou", "Shenzhen")
    # the 22 FTZs open in capitals at the real dates; clusters are inherited from the province
    provincial = DiffusionModel(seed=0).regions
    assert sorted(regions.ftz_step[regions.ftz_step < 10**6]) == sorted(provincial.ftz_step[provincial.ftz_step < 10**6])
    assert regions.names[int(np.argmin(regions.ftz_step))] == "Shanghai"
    assert regions.cluster_names == provincial.cluster_names
    assert regions.membership.sum(axis=0).min() > provincial.membership.sum(axis=0).min()
    # no city data: every city has its province's GDP per capita
    henan = [i for i, name in enumerate(regions.names) if name in ("Zhengzhou", "Luohe", "Jiyuan")]
    assert np.all(regions.gdp_per_capita[henan] == provincial.gdp_per_capita[provincial.index("Henan")])
    # Hainan's island reaches Guangdong only by the Qiongzhou Strait; Zhoushan and Sansha by sea too
    assert {tuple(sorted((regions.names[i], regions.names[j]))) for i, j in regions.sea_ties} == {
        ("Haikou", "Zhanjiang"), ("Ningbo", "Zhoushan"), ("Sansha", "Wenchang")}
    model.run()
    assert 0 < model.coverage() < 1


def test_without_sea_links_sansha_is_cut_off():
    regions = DiffusionModel({"network": {"kind": "prefectures", "sea_links": False}}, seed=0).regions
    assert regions.graph().degree("Sansha") == 0 and not regions.sea_ties


def test_synthetic_prefectures_nest_any_number_of_cities_in_the_real_provinces():
    import networkx as nx

    regions = DiffusionModel({"network": {"kind": "synthetic_prefectures"}}, seed=0).regions
    assert regions.n == 300 and regions.kind == "synthetic_prefectures"
    assert nx.is_connected(regions.graph())
    assert "Shijiazhuang" in regions.names and "Hebei city 2" in regions.names  # capitals keep real names
    assert len(regions.sea_ties) == 1   # a city of Hainan reaches Guangdong only by the sea tie


def test_synthetic_prefecture_count_is_a_parameter_and_runs_are_reproducible():
    a = DiffusionModel({"network": {"kind": "synthetic_prefectures", "cities": 120}}, seed=4)
    b = DiffusionModel({"network": {"kind": "synthetic_prefectures", "cities": 120}}, seed=4)
    assert a.n_regions == 120 and a.regions.names == b.regions.names
    assert np.array_equal(a.regions.x, b.regions.x)
    a.run()
    b.run()
    assert np.array_equal(a.adopted, b.adopted)
