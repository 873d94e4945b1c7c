"""Safe YAML reading for rulesets: no tags, no aliases, no duplicate keys, line numbers kept."""

from __future__ import annotations

import math
import stat
from pathlib import Path
from typing import Any

import yaml

from vetting.errors import RulesetError, os_reason

#: Rulesets are small; anything larger is refused before parsing.
MAX_RULESET_BYTES = 2_000_000
#: The longest integer a ruleset may write (a count, a period); more digits is a typo or an attack.
MAX_INT_DIGITS = 15


class LineDict(dict):
    """A mapping that remembers the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict


class LineList(list):
    """A sequence that remembers the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and duplicate keys and records line numbers."""

    def __init__(self, stream: str, path: str) -> None:
        super().__init__(stream)
        self.path = path

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise RulesetError("规则集不允许使用YAML别名(*引用)；请直接写出内容或使用 extends 继承",
                               self.path, event.start_mark.line + 1)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # noqa: ANN001
        if not isinstance(node, yaml.MappingNode):
            raise RulesetError("此处应为键值映射", self.path, node.start_mark.line + 1)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise RulesetError("规则集不允许使用YAML合并键(<<)", self.path, key_node.start_mark.line + 1)
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and not hasattr(key, "isoformat"):
                raise RulesetError("键必须是简单值", self.path, key_node.start_mark.line + 1)
            if key in result:
                raise RulesetError(f"重复的键「{key}」（第{result.key_lines[key]}行已出现）",
                                   self.path, key_node.start_mark.line + 1, str(key))
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):  # noqa: ANN001
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


def _unknown_tag(loader: _Loader, node: yaml.Node) -> Any:
    raise RulesetError(f"不允许的YAML标签 {node.tag}（规则集只能包含纯数据）", loader.path,
                       node.start_mark.line + 1)


def _timestamp_as_text(loader: _Loader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)


class BadNumber(str):
    """A number no ruleset can mean: more than MAX_INT_DIGITS digits (a 5,000-digit integer would
    not even convert), .nan or .inf. Kept as its text so that `schema.validate_structure` can name
    its field and line; `problem` says what is wrong in Chinese."""

    problem: str = ""


def _bad_number(text: str, problem: str) -> BadNumber:
    bad = BadNumber(text)
    bad.problem = problem
    return bad


def _int(loader: _Loader, node: yaml.Node) -> int | BadNumber:
    text = loader.construct_scalar(node)
    if sum(c.isalnum() for c in text) > MAX_INT_DIGITS:
        return _bad_number(text, f"数值「{text[:20]}…」位数过多（最多{MAX_INT_DIGITS}位）")
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _float(loader: _Loader, node: yaml.Node) -> float | BadNumber:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if not math.isfinite(value):
        text = loader.construct_scalar(node)
        return _bad_number(text, f"「{text}」不是有效数值（不能是 .nan 或 .inf；不限期请写 forever）")
    return value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)
def _unknown_multi_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    return _unknown_tag(loader, node)


_Loader.add_constructor(None, _unknown_tag)
_Loader.add_multi_constructor("", _unknown_multi_tag)


def read_yaml_bytes(path: Path, display: str) -> bytes:
    """A ruleset or case file's bytes, refused before reading when it is not a regular file (a FIFO
    would block forever) or larger than MAX_RULESET_BYTES (no pack is; a mistaken path may be)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise RulesetError("不是普通文件（可能是目录、命名管道或设备）", display)
        if info.st_size > MAX_RULESET_BYTES:
            raise RulesetError(f"文件过大（超过{MAX_RULESET_BYTES // 1_000_000}MB），不像规则集", display)
        with path.open("rb") as handle:
            return handle.read(MAX_RULESET_BYTES + 1)
    except OSError as exc:
        raise RulesetError(f"无法读取：{os_reason(exc)}", display) from None


def load_yaml(text: str, path: str) -> Any:
    """Parse ruleset YAML into LineDict/LineList trees; every failure is a RulesetError with a line."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_RULESET_BYTES:
        raise RulesetError(f"文件过大（超过{MAX_RULESET_BYTES // 1_000_000}MB），不像规则集", path)
    try:
        loader = _Loader(text, path)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise RulesetError(f"第{line}行含有不允许的控制字符 U+{exc.character:04X}（如 NUL），不像规则集文本",
                           path, line) from None
    try:
        return loader.get_single_data()
    except RulesetError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = f"第{mark.column + 1}列：" if mark else ""
        raise RulesetError(f"YAML语法错误，{column}{exc.problem or exc.context}", path, line) from None
    except yaml.YAMLError as exc:
        raise RulesetError(f"YAML无法解析：{exc}", path) from None
    except RecursionError:
        raise RulesetError("YAML嵌套层次过深，不像规则集", path) from None
    finally:
        loader.dispose()


def line_of(node: Any, key: Any = None) -> int | None:
    """The line of a key inside a LineDict, an index inside a LineList, or of the node itself."""
    if key is not None:
        if isinstance(node, LineDict) and key in node.key_lines:
            return node.key_lines[key]
        if isinstance(node, LineList) and isinstance(key, int) and key < len(node.item_lines):
            return node.item_lines[key]
    return getattr(node, "line", None) or None
