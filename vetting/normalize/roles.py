"""Proposed posts (拟任职务) mapped to canonical roles, and the tags rulesets select roles by."""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np
import pandas as pd

from vetting.normalize.text import clean_text
from vetting.vocab import TWO_COMMITTEES, roles_selected

_QUOTES = re.compile(r"[\"'“”‘’「」『』]")
_PLACE = re.compile(r"\((?:社区|居|村|居委会|村居|村社区|社区居委会)\)")
_BRACKETS = re.compile(r"[()]")
_RULES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), role) for p, role in (
    (r"监委|监督委员会|村务监督", "村务监督委员会成员"),
    (r"(后备|储备).*书记|书记.*(后备|储备)", "书记后备人选"),
    (r"后备|储备", "两委后备人选"),
    (r"非两委|书记助理|助理|会计|文书|报账员|出纳", None),
    (r"一肩挑|(?<!副)书记.*(?<!副)(?<!妇女)(?<!治保)(?<!调解)主任"
     r"|(?<!副)(?<!妇女)(?<!治保)(?<!调解)主任.*(?<!副)书记", "书记兼主任"),
    (r"副书记.*(?<!副)(?<!妇女)(?<!治保)(?<!调解)主任|(?<!副)(?<!妇女)(?<!治保)(?<!调解)主任.*副书记", "副书记兼主任"),
    (r"妇女主任|治保主任|调解主任|妇联主席|民兵连长", "村委会委员"),
    (r"(?<!副)书记", "党组织书记"),
    (r"(?<!副)主任", "村委会主任"),
    (r"副书记|支部委员|支委|党委委员|党组织委员|总支委员", "党组织委员"),
    (r"村委会委员|村委委员|居委会委员|居委委员|村委员|村民委员会委员|居民委员会委员|副主任", "村委会委员"),
    (r"两委|委员", TWO_COMMITTEES),
))
_BLANKS = frozenset({"无", "-", "--", "—", "/", "\\"})


def _parse_one(text: str) -> tuple[str | None, str | None]:
    """Canonical role and problem for one cleaned, non-empty text."""
    key = _BRACKETS.sub("", _PLACE.sub("", _QUOTES.sub("", text.replace(" ", ""))))
    if key in _BLANKS or not key:
        return None, None
    for pattern, role in _RULES:
        if pattern.search(key):
            return (role, None) if role else (None, f"「{text}」不是村(社区)“两委”职务，请核实")
    return None, f"无法识别的拟任职务：{text}"


def parse_roles(s: pd.Series) -> pd.DataFrame:
    """Parse 拟任职务 cells to a canonical role (string) and a problem (Chinese text or NA).

    Offices spell posts in many ways ("村(社区)党组织书记", "书记、主任", "支委"); rulesets
    name a few canonical roles and tags, see vetting.vocab.ROLE_TAGS. A text naming several posts maps to
    the highest (书记 and 主任 together is 书记兼主任). Blank is NA without a problem.
    """
    codes, uniques = pd.factorize(clean_text(s))
    parsed = [_parse_one(str(u)) for u in uniques] + [(None, None)]
    roles, problems = zip(*parsed)
    take = np.where(codes < 0, len(uniques), codes)
    return pd.DataFrame({
        "role": pd.Series(pd.array(roles, dtype="string").take(take), index=s.index),
        "problem": pd.Series(pd.array(problems, dtype="string").take(take), index=s.index),
    }, index=s.index)


def roles_match(roles: pd.Series, wanted: Iterable[str]) -> pd.Series:
    """True where the canonical role is one a `roles:` list selects (vetting.vocab.roles_selected:
    a post named, or one carrying a named tag such as "两委委员"). NA roles are False; an unknown
    name raises, so that a misspelt role never silently matches nothing."""
    return pd.Series(roles.isin(roles_selected(wanted)).fillna(False).to_numpy(dtype=bool), index=roles.index)
