"""Regular expressions of a pack, run by RE2 (through pyarrow.compute): linear time in the text,
so no pattern a county writes can hang a run on a hostile opinion text.

RE2 has no look-around and no back-references; a pattern that uses them is refused when the pack
loads, with a Chinese message saying how to rewrite it. Matching works on whole columns of texts
at once: `search`/`fullmatch` give a boolean per text, `find_all` every match (start, end, named
groups) like `re.finditer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Arrow is imported when a pattern is compiled or run, not with the module
    import numpy as np
    import pyarrow as pa

#: A pack's pattern is a few hundred characters; longer ones are refused before compiling.
MAX_PATTERN_LENGTH = 2000
#: RE2's rewrite strings (used by `find_all`) reach groups \1..\9 only.
MAX_GROUPS = 9
#: Private-use characters marking a match in `find_all` (replaced in the texts beforehand).
_OPEN, _SEP, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARKS = "[\ue000-\ue002]"

_RE2_MESSAGES = (
    ("invalid perl operator: (?=", "不支持向前断言 (?=…)"),
    ("invalid perl operator: (?!", "不支持否定向前断言 (?!…)"),
    ("invalid perl operator: (?<=", "不支持向后断言 (?<=…)"),
    ("invalid perl operator: (?<!", "不支持否定向后断言 (?<!…)"),
    ("invalid perl operator", "不支持的写法（(?…) 中只能是 ?: ?P<名称> 或 ?i 等标志）"),
    ("invalid escape sequence: \\Z", "不支持 \\Z，文本结尾请写 \\z 或 $"),
    ("invalid escape sequence: \\", "不支持的转义或反向引用（如 \\1）"),
    ("missing )", "缺少右括号「)」"),
    ("unexpected )", "多了右括号「)」"),
    ("missing ]", "缺少右方括号「]」"),
    ("invalid character class range", "字符范围写反了（如 [9-0]）"),
    ("invalid character class", "字符类写法有误"),
    ("invalid repetition size", "重复次数过大或写法有误（最多1000）"),
    ("bad repetition operator", "重复符号写法有误（如 ** 或 {2}{3}）"),
    ("no argument for repetition operator", "重复符号（* + ? {n}）前面缺少内容"),
    ("invalid named capture group", "分组名写法有误，应为 (?P<名称>…)，名称只用字母、数字、下划线"),
    ("trailing \\", "末尾多了一个反斜杠"),
    ("pattern too large", "正则表达式过于复杂"),
)
_LOOKAROUND_HINT = ("本工具用线性时间的 RE2 引擎匹配，不会因回溯卡死；请改写，"
                    "如 无(?!法) 可改写为 无([^法]|$)，或拆成两条模式")


class PatternError(ValueError):
    """A pattern RE2 cannot use; the message is Chinese and complete."""


@dataclass(frozen=True)
class Match:
    """One match in a text: character offsets and the named groups ("" when a group took no part)."""

    start: int
    end: int
    groups: dict

    def group(self, name: str) -> str:
        """The text of a named group, "" when it took no part (or the pattern has no such group)."""
        return self.groups.get(name, "")


@dataclass(frozen=True)
class Regex:
    """A validated pattern: `text` as written (with {DATE} expanded), `names` its named groups."""

    text: str
    names: tuple[str, ...]
    _plain: str = ""  # unnamed groups made non-capturing, so that \1..\9 are the named ones

    def search(self, texts: pa.Array) -> np.ndarray:
        """Whether the pattern occurs in each text (null texts: False)."""
        import pyarrow.compute as pc

        return _mask(pc.match_substring_regex(texts, self.text))

    def fullmatch(self, texts: pa.Array) -> np.ndarray:
        """Whether each whole text is a match (like re.fullmatch)."""
        import pyarrow.compute as pc

        return _mask(pc.match_substring_regex(texts, rf"\A(?:{self.text})\z"))

    def find_all(self, texts: list[str], among: np.ndarray | None = None) -> dict[int, list[Match]]:
        """Every non-overlapping match, left to right, like re.finditer, for each text (by index)
        that has one; only the texts at the indices `among` when given (default: those where
        `search` finds the pattern). One RE2 pass per column: each match is replaced by a marker
        holding the match and its groups, and the markers are read back with their offsets."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if among is None:
            among = np.flatnonzero(self.search(pa.array(texts, pa.string())))
        among = [int(i) for i in among]
        subjects = pa.array([texts[i] for i in among], pa.string())
        subjects = pc.replace_substring_regex(subjects, _MARKS, "\ufffd")
        fields = _SEP.join(f"\\{k}" for k in range(len(self.names) + 1))
        marked = pc.replace_substring_regex(subjects, self._plain, _OPEN + fields + _CLOSE).to_pylist()
        found: dict[int, list[Match]] = {}
        for i, text in zip(among, marked):
            matches, pos, at = [], 0, 0
            while (opened := text.find(_OPEN, at)) >= 0:
                closed = text.index(_CLOSE, opened)
                whole, *groups = text[opened + 1:closed].split(_SEP)
                pos += opened - at
                matches.append(Match(pos, pos + len(whole), dict(zip(self.names, groups))))
                pos, at = pos + len(whole), closed + 1
            if matches:
                found[i] = matches
        return found


def _mask(result: pa.Array) -> np.ndarray:
    return result.fill_null(False).to_numpy(zero_copy_only=False)


def _uncapture(text: str) -> str:
    """The pattern with every unnamed capturing group "(" turned into "(?:" (escapes and
    character classes left alone)."""
    out, i, in_class = [], 0, False
    while i < len(text):
        char = text[i]
        if char == "\\":
            out.append(text[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]" or text[i - 1] == "[" or text[i - 2:i] == "[^"
        elif char == "[":
            in_class = True
        elif char == "(" and not text.startswith("?", i + 1):
            out.append("(?:")
            i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _chinese(message: str) -> str:
    reason = message.split("Invalid regular expression: ", 1)[-1]
    for needle, chinese in _RE2_MESSAGES:
        if needle in reason:
            hint = f"；{_LOOKAROUND_HINT}" if "断言" in chinese else ""
            return f"{chinese}（{reason}）{hint}"
    return reason


def compile_pattern(text: str, allow_empty: bool = False) -> Regex:
    """Check a pack's pattern with RE2 and prepare it; raises PatternError (Chinese) when RE2
    cannot use it, when it is too long, repeats a group name, or (unless `allow_empty`, for
    whole-text phrases) matches an empty text, which would "find" something in every opinion."""
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternError(f"正则表达式过长（{len(text)}个字符，最多{MAX_PATTERN_LENGTH}个）")
    import pyarrow as pa
    import pyarrow.compute as pc

    # One empty text, built from its buffers: pa.array() of a Python list imports pandas (Arrow checks
    # for pandas objects), which `vet rules` must not pay for.
    probe = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(bytes(8)), pa.py_buffer(b"")])
    try:
        pc.match_substring_regex(probe, text)
        empty = pc.match_substring_regex(probe, rf"\A(?:{text})\z")[0].as_py()
        plain = _uncapture(text)
        names = tuple(f.name for f in pc.extract_regex(probe, plain).type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise PatternError(_chinese(str(exc))) from None
    if len(set(names)) != len(names):
        raise PatternError(f"分组名重复：{'、'.join(sorted({n for n in names if names.count(n) > 1}))}")
    if len(names) > MAX_GROUPS:
        raise PatternError(f"命名分组过多（{len(names)}个，最多{MAX_GROUPS}个）")
    if empty and not allow_empty:
        raise PatternError("能匹配空文本（如整个模式都是可选的），会在任何意见中都“找到”问题")
    return Regex(text, names, plain)
