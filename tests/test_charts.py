"""Charts and reports: drawn from tables only, finished-looking, in English and Chinese."""

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from diffusion import charts
from diffusion.cli import main
from diffusion.i18n import cjk_font
from diffusion.params import make_parameters
from diffusion.ensemble import run_ensemble, summarise_metrics


@pytest.fixture(scope="module")
def tables():
    return run_ensemble(make_parameters({"time": {"years": 6}}), replicates=2, root_seed=0).tables


def rendered(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3]


def assert_finished(fig, title_words, xlabel=None, ylabel=None):
    texts = " ".join([ax.get_title(loc="left") for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""])
    for word in title_words:
        assert word in texts, f"{word!r} not in titles {texts!r}"
    if xlabel:
        assert any(xlabel in ax.get_xlabel() for ax in fig.axes)
    if ylabel:
        assert any(ylabel in ax.get_ylabel() for ax in fig.axes)
    pixels = rendered(fig)
    assert pixels.std() > 10, "the image is blank"
    matplotlib.pyplot.close(fig)


def test_each_chart_draws_from_tables_with_titles_and_axes(tables):
    assert_finished(charts.adoption_curves(tables["coverage_by_age"]),
                    ["Adoption of FTZ innovations by time since pilot"], "Years since pilot", "adopted and kept")
    assert_finished(charts.cohort_curves(tables["coverage_by_cohort"], tables["batches"]),
                    ["pilot-year cohort (fixed membership)"], "Date", "adopted and kept")
    assert_finished(charts.cumulative_adoptions(tables["series"], tables["batches"]), ["Adoptions kept so far"],
                    "Date", "Adoptions kept so far")
    assert_finished(charts.category_curves(tables["coverage_by_category"]), ["Adoption by category", "investment"])
    assert_finished(charts.channel_attribution(tables["channels"]), ["channel attribution"], "Date", "Adoptions")
    assert_finished(charts.province_map(tables["regions"], tables["network"], tables["adoptions"], tables["innovations"]),
                    ["years from pilot to adoption"])
    assert_finished(charts.region_category_heatmap(tables["adoptions"], tables["innovations"]), ["by region and category"])
    assert_finished(charts.failures_chart(tables["adoptions"]), ["Failures and corrections"], None, "Failures")
    assert_finished(charts.ftz_gap(tables["coverage_by_age"]), ["FTZ regions minus the others (fixed groups)"],
                    "Years since pilot", "percentage points")
    summary = summarise_metrics(pd.concat([tables["metrics"].assign(scenario="a"), tables["metrics"].assign(scenario="b")]),
                                by="scenario")
    assert_finished(charts.metric_comparison(summary), ["Key metrics by scenario", "Coverage 5 years after pilot"])
    series = pd.concat([tables["series"].assign(scenario="a"), tables["series"].assign(scenario="b")])
    assert_finished(charts.scenario_curves(series), ["Adoptions kept so far, by scenario"], "Date", "kept")
    older = series.drop(columns=["cumulative_adoptions"])   # a sweep's series: coverage, labelled as such
    assert_finished(charts.scenario_curves(older), ["Adoption coverage by scenario"], "Date", "piloted so far")


def test_the_ftz_group_is_fixed_and_the_charts_say_so(tables):
    fig = charts.adoption_curves(tables["coverage_by_age"])
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert any("fixed group: FTZ by the end of the run" in label for label in labels)
    assert any("fixed group" in label for label in labels if label.startswith("Other"))
    matplotlib.pyplot.close(fig)


def test_projected_batches_are_drawn_dashed_and_labelled_as_projections(tables):
    without = tables["batches"].drop(columns=["projected"], errors="ignore")   # as tables of older versions
    binding = without.index[(without["kind"] == "binding") & (without["run"] == 0)]   # the first run's are drawn
    projected = without.assign(projected=False)
    projected.loc[binding[-2:], "projected"] = True
    for frame, has_projection in ((without, False), (without.assign(projected=False), False), (projected, True)):
        for fig in (charts.cohort_curves(tables["coverage_by_cohort"], frame),
                    charts.cumulative_adoptions(tables["series"], frame)):
            ax = fig.axes[0]
            marks = [line for line in ax.get_lines() if line.get_xdata()[0] == line.get_xdata()[-1]]   # verticals
            dashed = [line for line in marks if line.get_linestyle() == "--"]
            labels = [text.get_text() for text in ax.get_legend().get_texts()]
            if has_projection:
                assert len(dashed) == 2 and len(marks) == len(binding)
                assert any("Projected batch" in label for label in labels)
                assert "State Council batch" in labels
            else:
                assert not dashed and len(marks) == len(binding) and not any("Projected" in lb for lb in labels)
            matplotlib.pyplot.close(fig)


def test_a_folder_without_the_new_tables_still_gets_the_charts_its_tables_allow(tables, tmp_path):
    older = {name: table for name, table in tables.items() if name not in ("coverage_by_age", "coverage_by_cohort")}
    older["series"] = older["series"].drop(columns=["cumulative_adoptions", "innovations_born"])
    names = charts.draw_run_figures(older, tmp_path)
    assert "channels.png" in names and "map.png" in names
    assert not {"adoption_curves.png", "cohort_coverage.png", "cumulative_adoptions.png", "ftz_gap.png"} & set(names)


def test_every_run_chart_renders_its_chinese_labels_without_missing_glyphs(tables, tmp_path):
    assert cjk_font() is not None, "install Debian's fonts-noto-cjk"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning in matplotlib: make it fail
        names = charts.draw_run_figures(tables, tmp_path, lang="zh")
    assert {f"{stem}_zh.png" for stem in charts.RUN_FIGURES} <= set(names)


def test_charts_never_touch_a_model():
    import inspect

    source = inspect.getsource(charts)
    assert "DiffusionModel" not in source and "from .model" not in source


def test_figures_are_written_as_png_svg_and_pdf_in_page_and_slide_sizes(tables, tmp_path):
    page = charts.save(charts.ftz_gap(tables["coverage_by_age"], size="page"), tmp_path, "gap_page")
    slide = charts.save(charts.ftz_gap(tables["coverage_by_age"], size="slide"), tmp_path, "gap_slide")
    assert page == ["gap_page.png", "gap_page.svg", "gap_page.pdf"] and len(slide) == 3
    from PIL import Image

    small, large = Image.open(tmp_path / "gap_page.png").size, Image.open(tmp_path / "gap_slide.png").size
    assert large[0] > small[0] * 1.3
    assert large[0] / large[1] == pytest.approx(16 / 9, rel=0.002)   # the figure's own frame, not a tight crop
    assert (tmp_path / "gap_page.pdf").read_bytes().startswith(b"%PDF")


PROVENANCE = charts.Provenance(version="0.3.0", scenario="fault-tolerance-high", parameter_hash="ab12" * 16, seed=7)


def read_provenance(path) -> dict[str, str]:
    """The provenance pairs a figure file carries, read with the format's own tools: PNG text chunks
    (PIL), the PDF Info dictionary (pypdf), the SVG's Dublin Core keywords (<metadata>, RDF)."""
    import xml.etree.ElementTree as ET

    from PIL import Image
    from pypdf import PdfReader

    if path.suffix == ".png":
        return dict(Image.open(path).text)
    if path.suffix == ".pdf":
        keywords = PdfReader(path).metadata["/Keywords"]
    else:
        rdf = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
        root = ET.parse(path).getroot()
        keywords = "; ".join(li.text for li in root.iterfind(".//{*}metadata//dc:subject/rdf:Bag/rdf:li", rdf))
    return dict(pair.split("=", 1) for pair in keywords.split("; "))


def test_every_figure_file_carries_version_scenario_parameter_hash_and_seed(tables, tmp_path):
    names = charts.save(charts.ftz_gap(tables["coverage_by_age"]), tmp_path, "gap", provenance=PROVENANCE)
    for name in names:
        found = read_provenance(tmp_path / name)
        assert {key: found.get(key) for key in ("version", "scenario", "parameter_hash", "seed")} == {
            "version": "0.3.0", "scenario": "fault-tolerance-high", "parameter_hash": "ab12" * 16, "seed": "7"}, name
        assert found["model_version"]
    svg = (tmp_path / "gap.svg").read_text(encoding="utf-8")
    assert "<dc:creator>" in svg and "ftz-diffusion 0.3.0" in svg and "<dc:identifier>" + "ab12" * 16 in svg
    assert (tmp_path / "gap.pdf").read_bytes().count(b"/Creator (ftz-diffusion 0.3.0)") == 1


def test_a_saved_result_s_figures_carry_its_own_provenance_and_say_which_charts_were_left_out(tmp_path):
    import json

    import diffusion as d

    result = d.run("teaching-small-world", replicates=1, steps=8, seed=3)
    folder = result.save(tmp_path / "run")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["figures_skipped"] == result.figures().skipped and "policy_compliance" in manifest["figures_skipped"]
    for name in ("adoption_curves.png", "adoption_curves.svg", "adoption_curves.pdf"):
        found = read_provenance(folder / "figures" / name)
        assert found["scenario"] == "teaching-small-world" and found["seed"] == "3"
        assert found["parameter_hash"] == result.meta["parameter_hash"] == d.load(
            "teaching-small-world", steps=8).parameter_hash()
        assert found["version"] == d.__version__ == manifest["version"]


def test_chinese_labels_render_with_a_font_that_has_the_glyphs(tables):
    assert cjk_font() is not None, "install Debian's fonts-noto-cjk"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning in matplotlib: make it fail
        fig = charts.province_map(tables["regions"], tables["network"], tables["adoptions"], tables["innovations"],
                                  lang="zh")
        rendered(fig)
    texts = [t for t in fig.findobj(matplotlib.text.Text) if re.search(r"[\u4e00-\u9fff]", t.get_text())]
    assert any("上海" == t.get_text() for t in texts) and any("年数" in t.get_text() for t in texts)
    for text in texts:
        paths = font_manager.fontManager._find_fonts_by_props(text.get_fontproperties())
        faces = [FT2Font(str(p)) for p in paths]
        for char in set(re.findall(r"[\u4e00-\u9fff]", text.get_text())):
            assert any(face.get_char_index(ord(char)) for face in faces), f"no font has {char!r}"
    matplotlib.pyplot.close(fig)


def test_report_refuses_a_folder_that_is_not_a_results_folder(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a results folder" in result.output


def test_heatmap_of_a_run_without_spread_says_so_instead_of_an_empty_image():
    params = make_parameters({"time": {"years": 0.75}, "channels": {
        name: {"enabled": False} for name in ("spontaneous", "learning", "competition", "mandate")}})
    quiet = run_ensemble(params, replicates=1, root_seed=0).tables
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no singular-axis warnings from an empty image
        fig = charts.region_category_heatmap(quiet["adoptions"], quiet["innovations"], lang="zh")
        rendered(fig)
    assert "没有地区" in " ".join(text.get_text() for ax in fig.axes for text in ax.texts)
