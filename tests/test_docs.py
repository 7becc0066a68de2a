"""The documentation cannot drift from the code."""

from pathlib import Path

from diffusion.schema_docs import parameters_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_parameter_reference_is_generated_from_the_schema():
    assert (DOCS / "parameters.md").read_text(encoding="utf-8") == parameters_markdown(), \
        "docs/parameters.md is stale: run  python -m diffusion.schema_docs > docs/parameters.md"


def test_model_description_covers_every_mechanism_module():
    text = (DOCS / "model.md").read_text(encoding="utf-8")
    for module in ("innovations.py", "learning.py", "competition.py", "mandate.py", "institutions.py", "failure.py",
                   "tables.py"):
        assert module in text
    for section in ("Purpose and patterns", "Entities, state variables and scales", "Process overview and scheduling",
                    "Design concepts", "Initialisation", "Input data", "Submodels"):
        assert section in text
