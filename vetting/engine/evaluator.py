"""Condition ASTs evaluated over candidate columns as interval vectors (shared by both engines:
the vectorised engine decides with it, the durable engine computes its facts with it)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from vetting.engine import values as V
from vetting.normalize.roster import Candidates
from vetting.normalize.text import blank_mask
from vetting.ruleset import condition as C
from vetting.ruleset.model import Ruleset


class Columns:
    """Typed candidate columns as interval vectors, converted once and shared by all rules."""

    def __init__(self, candidates: Candidates, ruleset: Ruleset, derived: dict[str, tuple]) -> None:
        self.candidates, self.ruleset, self.derived = candidates, ruleset, derived
        self.n = len(candidates)
        self._cache: dict[str, V.Vec] = {}
        self._blank: dict[str, np.ndarray] = {}

    def get(self, name: str) -> V.Vec:
        if name not in self._cache:
            self._cache[name] = self._load(name)
        return self._cache[name]

    def _load(self, name: str) -> V.Vec:
        if name in self.derived:
            kind, lo, hi = self.derived[name]
            known = ~pd.isna(lo) if kind != "bool" else np.ones(self.n, dtype=bool)
            if name == "id_valid":
                known = np.full(self.n, "id_number" in self.candidates.present)
            return V.Vec(kind, lo, hi, np.asarray(known, dtype=bool))
        spec = self.ruleset.fields[name]
        kind = C.field_value_type(spec.type)
        frame = self.candidates.frame
        if name not in self.candidates.present:
            return V.unknown(kind, self.n)
        if kind == "date":
            lo = frame[f"{name}__lo"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            hi = frame[f"{name}__hi"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            return V.Vec(kind, lo, hi, ~np.isnat(lo))
        if kind == "number":
            arr = frame[name].to_numpy(dtype=float, na_value=np.nan)
            return V.Vec(kind, arr, arr, ~np.isnan(arr))
        if kind == "bool":
            col = frame[name]
            known = col.notna().to_numpy(dtype=bool)
            arr = col.fillna(False).to_numpy(dtype=bool)
            return V.Vec(kind, arr, arr, known)
        arr = V.text_objects(frame[name])
        return V.Vec("string", arr, arr, frame[name].notna().to_numpy(dtype=bool))

    def cleared(self, names: Iterable[str]) -> "Columns":
        """These columns with each named fact that has a "nothing found" value (否, 无) set to it."""
        other = Columns(self.candidates, self.ruleset, self.derived)
        other._cache = dict(self._cache)
        other._blank = self._blank
        for name in names:
            spec = self.ruleset.fields[name]
            if spec.type == "flag":
                other._cache[name] = V.constant("bool", False, self.n)
            elif spec.type == "enum" and "无" in spec.values:
                other._cache[name] = V.constant("string", "无", self.n)
        return other

    def blank(self, name: str) -> np.ndarray:
        """Rows where the roster cell behind a field is empty (an unreadable cell is not blank).
        Kept once computed: a chunked run asks for it once per rule and chunk."""
        found = self._blank.get(name)
        if found is None:
            raw = self.candidates.raw
            if name not in raw:
                found = np.ones(self.n, dtype=bool)
            else:
                found = blank_mask(raw[name])
            found.flags.writeable = False
            self._blank[name] = found
        return found


class Evaluator:
    """Evaluates an AST over all rows (or a subset) on a fixed as-of date and parameter set."""

    def __init__(self, columns: Columns, params: dict[str, Any], as_of: dt.date,
                 rows: np.ndarray | None = None) -> None:
        self.columns, self.params, self.rows = columns, params, rows
        self.as_of = np.datetime64(as_of, "D")
        self.n = columns.n if rows is None else len(rows)

    def subset(self, rows: np.ndarray) -> "Evaluator":
        return Evaluator(self.columns, self.params, self.as_of.astype(dt.date), rows)

    def eval(self, node: C.Node) -> V.Vec:
        handler: Callable[[Any], V.Vec] = getattr(self, "eval_" + type(node).__name__)
        return handler(node)

    def eval_Literal(self, node: C.Literal) -> V.Vec:
        return V.constant(node.type, node.value, self.n)

    def eval_AsOf(self, node: C.AsOf) -> V.Vec:
        return V.constant("date", self.as_of, self.n)

    def eval_FieldRef(self, node: C.FieldRef) -> V.Vec:
        vec = self.columns.get(node.name)
        return vec if self.rows is None else vec.take(self.rows)

    def eval_ParamRef(self, node: C.ParamRef) -> V.Vec:
        value = self.params.get(node.name)
        if node.index is None:
            kind = "date" if isinstance(value, dt.date) else \
                "number" if isinstance(value, (int, float)) else "string"
            return V.constant(kind, value, self.n)
        keys = self.eval(node.index)
        mapped = pd.Series(keys.lo, dtype=object).map(value or {}).to_numpy(dtype=float, na_value=np.nan)
        return V.Vec("number", mapped, mapped, keys.known & ~np.isnan(mapped))

    def eval_Unary(self, node: C.Unary) -> V.Vec:
        operand = self.eval(node.operand)
        return V.logical_not(operand) if node.op == "not" else V.negate(operand)

    def eval_Binary(self, node: C.Binary) -> V.Vec:
        left, right = self.eval(node.left), self.eval(node.right)
        if node.op == "and":
            return V.logical_and(left, right)
        if node.op == "or":
            return V.logical_or(left, right)
        if node.op in ("+", "-"):
            return V.arith(node.op, left, right)
        return V.compare(node.op, left, right)

    def eval_InList(self, node: C.InList) -> V.Vec:
        operand = self.eval(node.operand)
        items = [np.datetime64(i.value, "D") if i.type == "date" else i.value for i in node.items]
        result = V.is_in(operand, items)
        return V.logical_not(result) if node.negate else result

    def eval_Duration(self, node: C.Duration) -> V.Vec:
        amount = self.eval(node.amount)
        factor = 12 if node.unit == "years" else 1
        kind = "duration_days" if node.unit == "days" else "duration_months"
        return V.Vec(kind, amount.lo * factor, amount.hi * factor, amount.known)

    def eval_Call(self, node: C.Call) -> V.Vec:
        args = [self.eval(a) for a in node.args]
        if node.func == "within":
            return V.within(args[0], args[1], self.as_of)
        if node.func in ("blank", "present"):
            return V.presence(args[0], node.func == "present")
        return V.coalesce(args[0], args[1])
