"""One JSON fact per candidate: every value the compiled rules read, computed by the shared
evaluator (so both engines compare identical numbers), dates as day numbers, absent where unknown."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from vetting.engine import values as V
from vetting.engine.durable.compiler import DurableProgram, check_interval
from vetting.engine.durable.normal_form import MARKER, key, number_text


def _days(values: np.ndarray) -> np.ndarray:
    return values.astype("datetime64[D]").astype(np.int64)


def _fragments(prop: str, texts: np.ndarray, present: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    out[present] = (f", {key(prop)}: " + texts[present].astype(object)).astype(object)
    return out


def _number_fragments(prop: str, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    texts = np.full(len(values), "", dtype=object)
    if present.any():
        uniques, inverse = np.unique(values[present], return_inverse=True)
        texts[present] = np.array([number_text(v) for v in uniques], dtype=object)[inverse]
    return _fragments(prop, texts, present, len(values))


def _day_fragments(prop: str, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    texts = np.full(len(values), "", dtype=object)
    texts[present] = _days(values[present]).astype(str).astype(object)
    return _fragments(prop, texts, present, len(values))


def _scalar_fragments(prop: str, kind: str, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    texts = np.full(len(values), "", dtype=object)
    if kind == "bool":
        texts[present] = np.where(values[present].astype(bool), "1", "0").astype(object)
    elif present.any():
        codes, uniques = pd.factorize(pd.Series(values[present], dtype=object))
        encoded = np.array([json.dumps(str(u), ensure_ascii=False) for u in uniques], dtype=object)
        texts[present] = encoded[codes]
    return _fragments(prop, texts, present, len(values))


def build_facts(program: DurableProgram, evaluator: Any) -> list[str]:
    """One JSON fact per candidate with every slot's values (absent where unknown)."""
    n = evaluator.n
    columns = []
    for slot in program.slots:
        if slot.kind == "window":
            dates, duration = evaluator.eval(slot.node.args[0]), evaluator.eval(slot.node.args[1])
            check_interval(slot.rule, _as_float(dates.lo), _as_float(dates.hi), dates.known, "（日期）")
            check_interval(slot.rule, duration.lo, duration.hi, duration.known, "（期限）")
            known = dates.known & duration.known
            early, late = V.window_ends(dates, duration)
            columns.append(_day_fragments(slot.props[0], early, known & ~np.isnat(early)))
            columns.append(_day_fragments(slot.props[1], late, known & ~np.isnat(late)))
            columns.append(_scalar_fragments(slot.props[2], "bool", known, known))
            continue
            continue
        vec = evaluator.eval(slot.node)
        known = np.asarray(vec.known, dtype=bool)
        if vec.kind in ("string", "bool"):
            if vec.kind == "string":
                known = known & ~pd.isna(vec.lo)
            columns.append(_scalar_fragments(slot.props[0], vec.kind, vec.lo, known))
            continue
        check_interval(slot.rule, _as_float(vec.lo), _as_float(vec.hi), known)
        fragments = _day_fragments if vec.kind == "date" else _number_fragments
        columns.append(fragments(slot.props[0], vec.lo, known))
        if slot.props[1] != slot.props[0]:
            columns.append(fragments(slot.props[1], vec.hi, known))
    heads = [f'{{"sid": "{i}", {key(MARKER)}: {i}' for i in range(n)]
    return ["".join(parts) + "}" for parts in zip(heads, *columns)]


def _as_float(values: np.ndarray) -> np.ndarray:
    if np.issubdtype(values.dtype, np.datetime64):
        out = values.astype("datetime64[D]").astype(np.int64).astype(float)
        out[np.isnat(values)] = np.nan
        return out
    return values.astype(float)

