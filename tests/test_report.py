"""Reports: each kind of folder reports what it holds, on pages that print (checked from the PDF itself)."""

from __future__ import annotations

import base64
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import diffusion as d
from diffusion.cli import main
from diffusion.pages import MARGIN, PAPERS, Document, Paragraph, Table, render_pdf
from diffusion.report import document, format_difference, parameter_changes, write_report

POINT = 72.0


# --- what the PDF's own text positions say -----------------------------------------------------------

def page_problems(pdf: Path, paper: str = "a4", expected_text: str = "") -> list[str]:
    """Everything wrong with the pages of ``pdf``: a page not of ``paper`` size, text or an image outside
    the page's margins, two lines of text or a text and an image overlapping, an unembedded font, and
    characters of ``expected_text`` missing from the page text (a clipped table or paragraph)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar, LTFigure, LTImage, LTTextContainer, LTTextLine
    from pypdf import PdfReader

    problems = []
    width, height = (x * POINT for x in PAPERS[paper])
    inner = (MARGIN * POINT - 2, 0.3 * POINT, width - MARGIN * POINT + 2, height - MARGIN * POINT + 6)
    text = []

    def lines_of(element):
        if isinstance(element, LTTextLine):
            yield element
        elif isinstance(element, LTTextContainer) or isinstance(element, LTFigure):
            for child in element:
                yield from lines_of(child)

    def box(line):
        """A line's box from its glyphs' advances and baselines (Type 3 fonts' own boxes are not their
        glyphs'): ascent 0.88 and descent 0.22 of the size, as Latin and CJK faces draw."""
        glyphs = [c for c in line if isinstance(c, LTChar)]
        return (min(c.x0 for c in glyphs), min(c.matrix[5] - 0.22 * c.size for c in glyphs),
                max(c.x1 for c in glyphs), max(c.matrix[5] + 0.88 * c.size for c in glyphs))

    def images_of(element):
        if isinstance(element, LTImage):
            yield element
        elif isinstance(element, LTFigure):
            for child in element:
                yield from images_of(child)

    for number, page in enumerate(extract_pages(str(pdf), laparams=LAParams(char_margin=1.0)), start=1):
        if abs(page.width - width) > 1 or abs(page.height - height) > 1:
            problems.append(f"page {number} is {page.width:.0f} x {page.height:.0f} pt, not {paper}")
        lines = [line for element in page for line in lines_of(element)
                 if line.get_text().strip() and any(isinstance(c, LTChar) for c in line)]
        images = [image for element in page for image in images_of(element)]
        for line in lines:
            text.append(line.get_text())
            x0, y0, x1, y1 = box(line)
            if x0 < inner[0] or y0 < inner[1] or x1 > inner[2] or y1 > inner[3]:
                problems.append(f"page {number}: text {line.get_text().strip()[:40]!r} leaves the margins {box(line)}")
        for image in images:
            x0, y0, x1, y1 = image.bbox
            if x0 < inner[0] or y0 < inner[1] or x1 > inner[2] or y1 > inner[3]:
                problems.append(f"page {number}: a figure leaves the margins {image.bbox}")
        boxes = [(line.get_text().strip()[:30], box(line)) for line in lines] + \
                [("<figure>", image.bbox) for image in images]
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                (a, (ax0, ay0, ax1, ay1)), (b, (bx0, by0, bx1, by1)) = boxes[i], boxes[j]
                if min(ax1, bx1) - max(ax0, bx0) > 1.0 and min(ay1, by1) - max(ay0, by0) > 1.0:
                    problems.append(f"page {number}: {a!r} overlaps {b!r}")
    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for name, ref in fonts.items():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            descendants = font.get("/DescendantFonts")
            if descendants:
                descriptor = descendants[0].get_object().get("/FontDescriptor")
            embedded = font.get("/Subtype") == "/Type3" or (descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")))
            if not embedded:
                problems.append(f"page {number}: font {font.get('/BaseFont')} is not embedded")
    missing = Counter(re.sub(r"\s", "", expected_text)) - Counter(re.sub(r"\s", "", "".join(text)))
    if missing:
        problems.append(f"text missing from the pages (clipped?): {''.join(sorted(missing.elements()))[:80]!r}")
    return problems


def document_text(doc: Document) -> str:
    parts = [doc.kicker, doc.title]
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Table):
            parts += block.headers + [cell for row in block.rows for cell in row] + [block.note or ""]
        elif hasattr(block, "text"):
            parts.append(block.text)
    return " ".join(parts)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    run = d.run("central-policy-binding", replicates=2, steps=24).save(root / "run")
    compare = d.compare(["baseline", "leadership-reform-office", "fault-tolerance-high"], replicates=3,
                        steps=24).save(root / "compare")
    return {"run": run, "compare": compare}


# --- the checker itself can fail ---------------------------------------------------------------------

def test_the_page_checker_finds_text_off_the_page_overlapping_text_and_a_wrong_paper(tmp_path):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8.5, 11))                 # Letter, not A4
    fig.text(0.3, 0.5, "two lines on top of each other")
    fig.text(0.32, 0.5, "two lines on top of each other")
    fig.text(0.95, 0.9, "this sentence runs past the right edge of the page")
    fig.savefig(tmp_path / "bad.pdf")
    plt.close(fig)
    problems = page_problems(tmp_path / "bad.pdf", "a4", expected_text="a table cell that was never drawn")
    assert any("not a4" in p for p in problems)
    assert any("overlaps" in p for p in problems)
    assert any("leaves the margins" in p for p in problems)
    assert any("missing" in p for p in problems)


def test_a_long_table_continues_on_the_next_page_with_its_header(tmp_path):
    from pypdf import PdfReader

    rows = [[f"row {k} " + "a long label that has to wrap " * 5, f"{k}.0%"] for k in range(100)]
    doc = Document("kicker", "A long table", [Table(["Label", "Value"], rows)])
    pages = render_pdf(doc, tmp_path / "long.pdf")
    assert pages >= 3
    assert all("LabelValue" in re.sub(r"\s", "", page.extract_text()) for page in PdfReader(tmp_path / "long.pdf").pages)
    assert page_problems(tmp_path / "long.pdf", expected_text=document_text(doc)) == []


# --- the reports -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["run", "compare"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_of_the_report_prints_on_a4(folders, kind, lang):
    html, pdf = write_report(folders[kind], lang)
    assert page_problems(pdf, "a4", expected_text=document_text(document(folders[kind], lang))) == []


def test_a_report_killed_half_way_leaves_nothing_the_next_one_keeps(folders):
    (folders["run"] / "report.html.tmp").write_text("half a page")     # as a SIGKILL leaves it
    write_report(folders["run"], "en")
    assert not list(folders["run"].glob("*.tmp")) and not list((folders["run"] / "figures").glob(".*.tmp"))


def test_letter_paper_is_the_other_choice(folders, tmp_path):
    result = CliRunner().invoke(main, ["report", str(folders["compare"]), "--paper", "letter"])
    assert result.exit_code == 0, result.output
    assert page_problems(folders["compare"] / "report.pdf", "letter") == []
    bad = CliRunner().invoke(main, ["report", str(folders["compare"]), "--paper", "a5"])
    assert bad.exit_code == 2 and "a4" in bad.output and "letter" in bad.output


def test_a_comparison_report_gives_each_scenario_its_metrics_and_paired_differences(folders):
    doc = document(folders["compare"], "en")
    assert doc.title.startswith("3 scenarios compared with") and "Historical baseline" in doc.title
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    by_scenario = next(t for t in tables if "Historical baseline" in t.headers[1])
    assert by_scenario.headers[2].startswith("Leadership") and by_scenario.headers[3].startswith("Fault tolerance")
    differences = next(t for t in tables if len(t.headers) == 3 and t.headers[1].startswith("Leadership"))
    comparison = d.compare(["baseline", "leadership-reform-office", "fault-tolerance-high"], replicates=3, steps=24)
    expected = comparison.tables["differences"].query("scenario == 'fault-tolerance-high' and metric == 'coverage_at_3_years'")
    row = next(r for r in differences.rows if r[0].startswith("Coverage 3 years"))
    assert row[2].startswith(format_difference("coverage_at_3_years", float(expected["difference"].iloc[0])))
    text = document_text(doc)
    assert "None: this is the baseline design" not in text and "= None" not in text
    assert "fault_tolerance" in text and "reform_office" in text       # each scenario's real changes


def test_a_run_report_has_a_summary_page_the_footer_provenance_and_real_changes_only(folders):
    from pypdf import PdfReader

    doc = document(folders["run"], "en")
    manifest = __import__("json").loads((folders["run"] / "manifest.json").read_text())
    assert manifest["parameter_hash"][:12] in doc.footer and "0.3" in doc.footer and "central-policy-binding" in doc.footer
    html, pdf = write_report(folders["run"], "en")
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 2
    assert all(manifest["parameter_hash"][:12] in page.extract_text() for page in reader.pages)
    first = reader.pages[0].extract_text()
    assert "Key metrics" in first and "Coverage 3 years after pilot" in first
    changes = next(b for k, b in enumerate(doc.blocks) if isinstance(b, Table) and b.headers[0] == "Parameter"
                   and b.headers[-1] == "Baseline")
    assert changes.rows and all(r[1] != r[2] and r[1] not in ("None", "") for r in changes.rows)
    page = html.read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(images) >= 3 and all(src.startswith("data:image/png;base64,") for src in images)
    assert len(base64.b64decode(images[0].split(",", 1)[1])) > 10_000


def test_the_baseline_has_no_changes_and_a_child_lists_only_what_it_changes():
    from diffusion.scenario import load_scenario

    assert parameter_changes(load_scenario("baseline").resolved()) == []
    changes = parameter_changes(load_scenario("fault-tolerance-high").resolved())
    assert [c[0] for c in changes] == ["institutions.fault_tolerance"] and changes[0][1] == 0.9


def test_a_child_scenario_does_not_inherit_its_base_description_unless_it_says_so(tmp_path):
    from diffusion.scenario import ScenarioError, load_scenario

    (tmp_path / "mine.yaml").write_text("name: mine\nextends: leadership-reform-office\n"
                                        "title: {en: Reform office with high fault tolerance}\n"
                                        "institutions: {fault_tolerance: 0.9}\n")
    mine = load_scenario(tmp_path / "mine.yaml")
    assert mine.title.en == "Reform office with high fault tolerance" and mine.title.zh == ""
    assert mine.description.en == "" and mine.question.en == ""
    (tmp_path / "quoting.yaml").write_text("extends: leadership-reform-office\ndescription: inherit\n")
    quoting = load_scenario(tmp_path / "quoting.yaml")
    assert quoting.description.en == load_scenario("leadership-reform-office").description.en
    (tmp_path / "orphan.yaml").write_text("name: orphan\ndescription: inherit\n")
    with pytest.raises(ScenarioError, match="orphan.yaml: description: 'inherit'.*no extends"):
        load_scenario(tmp_path / "orphan.yaml")


@pytest.mark.parametrize("kind", ["sweep", "sensitivity", "attribution", "calibration", "discovery"])
def test_every_kind_of_folder_gets_its_own_report_that_prints(tmp_path, kind):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: small\nextends: baseline\ntitle: {en: Small design, zh: 小型设计}\nreplicates: 2\n"
                        "time: {years: 3}\nsweep:\n  method: grid\n  parameters:\n"
                        "    institutions.fault_tolerance: [0.2, 0.9]\n")
    if kind in ("sweep", "discovery"):
        result = d.sweep(scenario, folder=tmp_path / "out", workers=1)
        if kind == "discovery":
            result = d.discover(result, outcome="coverage", threshold=float(result.tables["results"]["coverage"].median()))
            result.save(tmp_path / "out" / "discovery")
            folder, expected = tmp_path / "out" / "discovery", "The chosen box"
        else:
            folder, expected = tmp_path / "out", "Small design"
    elif kind == "sensitivity":
        scenario.write_text(scenario.read_text().replace("method: grid", "method: lhs\n  samples: 4").replace(
            "[0.2, 0.9]", "{min: 0.0, max: 1.0}") + "    channels.learning.weight_per_year: {min: 0.2, max: 2.0}\n")
        with pytest.warns(UserWarning, match="crosses zero"):   # 4 samples: the indices are uncertain, and say so
            sensitivity = d.sensitivity(scenario, method="sobol", samples=4, outcomes=["coverage"],
                                        folder=tmp_path / "out", workers=1)
        folder, expected = tmp_path / "out", "Sensitivity indices"
    elif kind == "attribution":
        folder, expected = d.attribute("fault-tolerance-high", replicates=1, steps=12).save(tmp_path / "out"), "Shapley"
    else:
        from diffusion.observed import from_model

        truth = d.make_parameters({"channels": {"mandate": {"enabled": False}}, "innovations": {"expected_total": 40},
                                   "time": {"years": 6}})
        from_model(d.DiffusionModel(truth, seed=3).run()).to_csv(tmp_path / "obs.csv", index=False)
        scenario.write_text("name: fit\nextends: baseline\nchannels: {mandate: {enabled: false}}\n"
                            "innovations: {expected_total: 40}\ntime: {years: 6}\ncalibrate:\n  parameters:\n"
                            "    channels.competition.weight_per_year: {min: 0, max: 6}\n  simulations: 24\n"
                            "  accept: 0.25\n  predictive: 4\n")
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            folder = d.calibrate(scenario, data=tmp_path / "obs.csv", workers=1).save(tmp_path / "out")
        expected = "Fitted parameters"
    for lang in ("en", "zh"):
        if kind in ("sweep", "sensitivity"):
            html, pdf = (result if kind == "sweep" else sensitivity).report(lang=lang)
        else:
            html, pdf = write_report(folder, lang)
        doc = document(folder, lang)
        assert page_problems(pdf, expected_text=document_text(doc)) == [], (kind, lang)
    assert expected in html.with_name("report.html").read_text(encoding="utf-8")


def test_result_report_into_another_folder_refuses_to_replace_it_unless_forced(tmp_path):
    from diffusion.results import ResultsExistError

    result = d.run("baseline", replicates=1, steps=4)
    earlier = d.run("baseline", replicates=1, steps=2).save(tmp_path / "taken")
    with pytest.raises(ResultsExistError, match="already exists"):
        result.report(folder=earlier)
    assert (earlier / "manifest.json").is_file() and not (earlier / "report.pdf").exists()
    html, pdf = result.report(folder=earlier, force=True)
    assert pdf.is_file() and len(pd.read_parquet(earlier / "tables" / "series.parquet")["step"].unique()) == 4
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")      # not a results folder: never replaced
    with pytest.raises(ResultsExistError):
        result.report(folder=tmp_path / "mine", force=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"
