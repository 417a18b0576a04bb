"""Runs, verification, validation and ranking on top of the crowd engine."""

from pathlib import Path

VALIDATION_DATA = Path(__file__).resolve().parents[2] / "shared" / "validation"
"""The measured experiments, fundamental diagrams and RiMEA references (see its README)."""
