"""Generate docs/parameters.md from the parameter schema, so the documentation cannot drift from the code.

    python -m diffusion.schema_docs > docs/parameters.md
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from .params import Parameters


def field_bounds(field) -> list[str]:
    """A pydantic field's numeric bounds and minimum length, in words ('>= 0', '<= 1', 'at least 1 entry')."""
    bounds = []
    for meta in field.metadata:
        for attr, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("min_length", "at least")):
            value = getattr(meta, attr, None)
            if value is not None:
                bounds.append(f"{symbol} {value}" + (" entry" if attr == "min_length" else ""))
    return bounds


def _rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any, str, str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_rows(annotation, path + "."))
            continue
        nested = [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        if nested and name in ("pilot", "scope"):   # optional blocks: their keys, after the block itself
            for inner in nested:
                rows.extend(_rows(inner, path + "."))
        extra = field.json_schema_extra or {}
        bounds = field_bounds(field)
        choices = getattr(annotation, "__args__", None)
        if choices and all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in choices):
            bounds.append(" / ".join(map(str, choices)))
        if field.is_required():
            shown = "(required)"
        else:
            shown = json.dumps(field.get_default(call_default_factory=True), default=str, ensure_ascii=False)
        rows.append((path, shown, extra.get("unit", ""), ", ".join(bounds), field.description or "",
                     extra.get("why", "")))
    return rows


def parameters_markdown() -> str:
    """The parameter reference as Markdown: one table per section."""
    lines = ["# Parameters", "",
             "Generated from `diffusion/params.py` by `python -m diffusion.schema_docs`; do not edit by hand.",
             "Every parameter: its dotted name (as in scenario files), default, unit, allowed values, meaning and",
             "the reason for its default.", ""]
    for section, field in Parameters.model_fields.items():
        model, prefix = field.annotation, f"{section}."
        if not (isinstance(model, type) and issubclass(model, BaseModel)):   # a list of entries (policies)
            model, prefix = model.__args__[0], f"{section}[]."
        lines += [f"## `{section}`", "", (model.__doc__ or "").strip().splitlines()[0], "",
                  *([f"{field.description} Each entry of the list has these keys.", ""] if prefix.endswith("[].") else []),
                  "| parameter | default | unit | allowed | meaning | why this default |",
                  "|---|---|---|---|---|---|"]
        for path, default, unit, allowed, meaning, why in _rows(model, prefix):
            cells = [f"`{path}`", f"`{default}`", unit, allowed, meaning, why]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        lines.append("")
    lines += ["## Per-region overrides", "",
              "`regions.overrides` maps a region name to any of: `leadership`, `working_system`, `fault_tolerance`,",
              "`feedback`, `assessment_weight`, `reward`, `penalty`, `capacity`, `risk_aversion`, with the same",
              "meaning and ranges as the scenario-wide setting.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(parameters_markdown(), end="")
