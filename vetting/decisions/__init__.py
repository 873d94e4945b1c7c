"""Recorded human decisions (复核结论): after a flag, a person looks again and a committee decides.

`read` reads a decisions file (xlsx/csv) with the project's readers; `apply` applies the decisions
to a finished run (pure, after the engine, the same for every engine); `template` writes the
decisions template, empty or filled from a report's flagged findings; `model` is the vocabulary.
"""

from __future__ import annotations

from vetting.decisions.apply import REVIEW_COLUMNS, apply_decisions
from vetting.decisions.model import DECISIONS, EFFECTS, Decision
from vetting.decisions.read import DecisionFileError, read_decisions

__all__ = ["DECISIONS", "EFFECTS", "REVIEW_COLUMNS", "Decision", "DecisionFileError", "apply_decisions",
           "read_decisions"]
