"""Runs, verification, validation and ranking on top of the crowd engine."""

from pathlib import Path

VALIDATION_DATA = Path(__file__).resolve().parents[2] / "shared" / "validation"
"""The measured experiments, fundamental diagrams and RiMEA references (see its README)."""

VALIDATION_DOCS = Path(__file__).resolve().parents[1] / "docs" / "validation"
"""Where the validation experiments write their tables and figures."""


def write_markdown(out_dir: Path, name: str, lines: list[str]) -> Path:
    """Write `lines` as the markdown file `name` in `out_dir` (created if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
