"""Click commands whose help and usage read as Chinese.

Click's help layout assumes one column per character and breaks lines only at spaces, so Chinese
help overflows the terminal and misaligns the option table. The formatter here measures display
width (a Chinese character takes two columns), breaks Chinese text between characters (never
before a closing mark such as "，" or "）"), writes headings with a full-width colon, and keeps
Click's `\\b` blocks as written. The command classes use it, write "[选项]"/"命令" in usage lines and
say in Chinese which parameter is missing. Click's other texts come from `vetting.cli.catalog`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

import click

from vetting.cli.catalog import gettext

OPTIONS_METAVAR = "[选项]"
_NO_BREAK_BEFORE = frozenset("，。、；：？！）」』】》〉…’”,.;:!?)]}%")
_NO_BREAK_AFTER = frozenset("（「『【《〈‘“([{")
_RAW_MARK = "\b"
#: A word between spaces; a short bracketed note such as "[默认：20; x>=1]" counts as one word.
_WORD = re.compile(r"(\s*)(\[[^\[\]\n]{1,28}\](?=\s|$)|\S+)")


def char_width(char: str) -> int:
    """Columns one character takes on a terminal: 2 for wide (Chinese) characters, 0 for combining marks."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns a text takes on a terminal."""
    return sum(char_width(c) for c in text)


def _units(text: str, cjk_breaks: bool) -> list[tuple[str, bool]]:
    """The unbreakable pieces of a paragraph, each with whether a space precedes it: a word of
    narrow characters, one wide character with any punctuation that must stay beside it, or a
    short bracketed note."""
    units: list[tuple[str, bool]] = []
    for match in _WORD.finditer(text):
        if not cjk_breaks or match.group(2).startswith("["):
            units.append((match.group(2), bool(match.group(1))))
            continue
        pieces: list[str] = []
        for char in match.group(2):
            if pieces and (char in _NO_BREAK_BEFORE or pieces[-1][-1] in _NO_BREAK_AFTER
                           or (char_width(char) == 1 and char_width(pieces[-1][-1]) == 1)):
                pieces[-1] += char
            else:
                pieces.append(char)
        units.append((pieces[0], bool(match.group(1))))
        units.extend((piece, False) for piece in pieces[1:])
    return units


def fill(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "",
         cjk_breaks: bool = True) -> list[str]:
    """One paragraph wrapped to `width` display columns (a piece wider than a line gets a line of
    its own); with cjk_breaks=False lines break only at spaces."""
    lines: list[str] = []
    line, used, empty = initial_indent, display_width(initial_indent), True
    for unit, spaced in _units(text, cjk_breaks):
        gap = " " if spaced and not empty else ""
        if not empty and used + len(gap) + display_width(unit) > width:
            lines.append(line.rstrip())
            line, used, gap = subsequent_indent, display_width(subsequent_indent), ""
        line += gap + unit
        used += len(gap) + display_width(unit)
        empty = False
    if not empty:
        lines.append(line.rstrip())
    return lines


def _join(lines: Iterable[str]) -> str:
    """Lines of one paragraph joined: a space between narrow characters, none beside Chinese ones."""
    text = ""
    for line in (line.strip() for line in lines):
        if text and line and char_width(text[-1]) == 1 and char_width(line[0]) == 1:
            text += " "
        text += line
    return text


def wrap_paragraphs(text: str, width: int, indent: str = "") -> list[str]:
    """Help text wrapped paragraph by paragraph (blank lines between them kept); a paragraph
    whose first line is `\\b` is kept line by line, as in Click."""
    blocks: list[list[str]] = [[]]
    for line in text.expandtabs().splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    out: list[str] = []
    for block in (b for b in blocks if b):
        if out:
            out.append("")
        extra = " " * (len(block[0]) - len(block[0].lstrip()))
        if block[0].strip() == _RAW_MARK:
            out.extend((indent + extra + line).rstrip() for line in block[1:])
        else:
            out.extend(fill(_join(block), width, indent + extra, indent + extra))
    return out


class ChineseHelpFormatter(click.HelpFormatter):
    """Click's help formatter measuring display width, wrapping Chinese, with Chinese headings."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """The usage line: "用法：vet run [选项] 花名册..." (arguments wrap under the first one)."""
        head = " " * self.current_indent + (gettext("Usage:") if prefix is None else prefix) + prog
        if not args:
            self.write(head + "\n")
            return
        indent = " " * (display_width(head) + 1)
        if self.width - len(indent) >= 20:
            lines = fill(args, self.width, head + " ", indent, cjk_breaks=False)
        else:
            indent = " " * (self.current_indent + 4)
            lines = [head] + fill(args, self.width, indent, indent, cjk_breaks=False)
        self.write("\n".join(lines) + "\n")

    def write_heading(self, heading: str) -> None:
        """A section heading with a full-width colon: "选项："."""
        self.write(f"{' ' * self.current_indent}{heading}：\n")

    def write_text(self, text: str) -> None:
        """Text wrapped to the width at the current indentation, paragraphs kept."""
        lines = wrap_paragraphs(text, self.width, " " * self.current_indent)
        self.write("\n".join(lines) + "\n")

    def write_dl(self, rows: Iterable[tuple[str, ...]], col_max: int = 30, col_spacing: int = 2) -> None:
        """A two-column list (options, commands): terms aligned by display width, descriptions wrapped."""
        rows = [(row[0], row[1] if len(row) > 1 else "") for row in rows]
        if not rows:
            return
        first_col = min(max(display_width(term) for term, _ in rows), col_max) + col_spacing
        margin = " " * (self.current_indent + first_col)
        text_width = max(self.width - self.current_indent - first_col, 10)
        for term, text in rows:
            self.write(" " * self.current_indent + term)
            if not text:
                self.write("\n")
                continue
            if display_width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(term)))
            else:
                self.write("\n" + margin)
            lines = wrap_paragraphs(text, text_width) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write((margin + line if line else "") + "\n")


class ChineseContext(click.Context):
    """A Click context whose help pages use ChineseHelpFormatter."""

    formatter_class = ChineseHelpFormatter


def missing_parameter_text(param: click.Parameter, ctx: click.Context | None) -> str:
    """The Chinese message for a required option or argument that was not given, e.g.
    "缺少参数 '花名册...'。" or "缺少选项 '--x'（可选：a、b）。"."""
    kind = gettext("Missing option") if isinstance(param, click.Option) else gettext("Missing argument")
    choices = param.type.choices if isinstance(param.type, click.Choice) else ()
    extra = f"（可选：{'、'.join(map(str, choices))}）" if choices else ""
    return f"{kind} {param.get_error_hint(ctx)}{extra}。"


def subcommand_metavar(chain: bool = False, optional: bool = False) -> str:
    """The usage placeholder for a group's subcommand, as Click writes it, in Chinese."""
    if chain:
        return "[命令1] [参数]... [命令2 [参数]...]..." if optional else "命令1 [参数]... [命令2 [参数]...]..."
    return "[命令] [参数]..." if optional else "命令 [参数]..."


class _Chinese:
    """What the Chinese command and group share: context class, usage placeholder, missing-parameter text."""

    context_class = ChineseContext

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - Click's signature
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Click's parsing, with a required parameter that is missing reported in Chinese."""
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter as exc:
            if exc.param is None or exc.message:
                raise
            raise click.UsageError(missing_parameter_text(exc.param, ctx), ctx) from None


class ChineseCommand(_Chinese, click.Command):
    """A Click command with Chinese usage, help layout and missing-parameter messages."""


class ChineseGroup(_Chinese, click.Group):
    """A Click group like ChineseCommand whose subcommands and subgroups are Chinese too."""

    command_class = ChineseCommand
    group_class = type

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - Click's signature
        if kwargs.get("subcommand_metavar") is None:
            kwargs["subcommand_metavar"] = subcommand_metavar(kwargs.get("chain", False),
                                                              kwargs.get("invoke_without_command", False))
        super().__init__(*args, **kwargs)
