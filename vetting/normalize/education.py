"""Education texts (文化程度) mapped to an ordinal level, a canonical label and full-time or not."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from vetting.normalize.text import clean_text
from vetting.vocab import EDUCATION_LEVELS

_KEYWORDS: dict[str, int] = {
    "文盲": 0, "半文盲": 0, "不识字": 0, "未上学": 0,
    "小学": 1, "高小": 1, "初小": 1,
    "初中": 2, "初级中学": 2,
    "高中": 3, "高级中学": 3, "普高": 3, "中专": 3, "中等专业": 3, "职高": 3, "职中": 3, "中职": 3,
    "技校": 3, "技工学校": 3, "中技": 3, "中师": 3,
    "大专": 4, "专科": 4, "大学专科": 4, "高职": 4, "高专": 4, "高等专科": 4,
    "本科": 5, "大学本科": 5, "学士": 5, "大学": 5, "专升本": 5,
    "研究生": 6, "硕士": 6, "博士": 6,
}
_KEYWORD_RE = re.compile("|".join(sorted(map(re.escape, _KEYWORDS), key=len, reverse=True)))
_UNSURE = re.compile(r"以下|以上|及下")
_FULL_TIME = re.compile(r"(?<!非)全日制")
_PART_TIME = re.compile(r"在职|函授|自考|自学考试|成人|成教|夜大|网络|远程|电大|广播电视大学|开放大学|业余|非全日制|党校")
_BLANKS = frozenset({"无", "-", "--", "—", "/", "\\"})


def _parse_one(text: str) -> tuple[int | None, bool | None, str | None]:
    """Level, full-time flag and problem for one cleaned, non-empty text."""
    if text in _BLANKS:
        return None, None, None
    found = [_KEYWORDS[k] for k in _KEYWORD_RE.findall(text)]
    if not found or _UNSURE.search(text):
        return None, None, f"无法识别的文化程度：{text}"
    full, part = bool(_FULL_TIME.search(text)), bool(_PART_TIME.search(text))
    return max(found), (full if full != part else None), None


def parse_education(s: pd.Series) -> pd.DataFrame:
    """Parse 文化程度 cells to education_level (Int64), education (label), full_time, problem.

    Rules compare education as an ordinal (小学 < 初中 < 高中/中专 < 大专 < 本科 < 研究生),
    and some require full-time study, so both are read from texts such as "本科（函授）" or
    "全日制大专". When a text names several levels the highest counts; full_time is NA when
    the text says neither or both. Blank is NA without a problem; unknown texts get a problem.
    """
    codes, uniques = pd.factorize(clean_text(s))
    parsed = [_parse_one(str(u).replace(" ", "")) for u in uniques] + [(None, None, None)]
    levels, full, problems = zip(*parsed)
    take = np.where(codes < 0, len(uniques), codes)
    level = pd.array(levels, dtype="Int64").take(take)
    label = pd.array([EDUCATION_LEVELS.get(v) if v is not None else None for v in levels], dtype="string").take(take)
    return pd.DataFrame({
        "education_level": pd.Series(level, index=s.index),
        "education": pd.Series(label, index=s.index),
        "full_time": pd.Series(pd.array(full, dtype="boolean").take(take), index=s.index),
        "problem": pd.Series(pd.array(problems, dtype="string").take(take), index=s.index),
    }, index=s.index)
