"""Click's own texts in Chinese: usage errors and help boilerplate.

Click marks every text it prints with gettext (`_("Usage:")`, `ngettext(...)`), importing both
names into each of its modules. `install()` replaces those module-level names with lookups in the
catalog below, keyed by Click's msgids; a msgid the catalog lacks (a newer Click) passes through
unchanged. Only Click's modules are touched, and only names that are still gettext's own.
Call it before commands are declared: some texts (the --version help) are read at declaration.
"""

from __future__ import annotations

import gettext as _gettext
import importlib

#: Click msgid -> Chinese. Placeholders ({name}, %(prog)s) are kept: Click formats the result.
CATALOG: dict[str, str] = {
    # help pages
    "Usage:": "用法：",
    "Options": "选项",
    "Positional arguments": "参数",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "d": "天",
    # usage errors
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行「{command} {option}」查看帮助。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such option: {name}": "没有选项 {name}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项（{option}）的起始字符无效",
    "Value must be an iterable.": "值应为可迭代对象。",
    "Aborted!": "已中止！",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Choice({choices})": "可选值({choices})",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值，可用：{states}",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "弃用提示：命令 {name!r} 已弃用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "弃用提示：{param_type} {name!r} 已弃用。{extra_message}",
    # texts of older Click versions (8.1)
    "(Deprecated) {text}": "（已弃用）{text}",
    "DeprecationWarning: The command {name!r} is deprecated.": "弃用提示：命令 {name!r} 已弃用。",
    "Error: The value you entered was invalid.": "错误：输入的值无效。",
    "Error: {e.message}": "错误：{e.message}",
    "{value!r} is not a valid boolean.": "{value!r} 不是有效的是/否值。",
    "{name} '{filename}' is a directory.": "{name} '{filename}' 是目录。",
    # prompts and terminal
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不询问，直接确认。",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续…",
    "Unknown color {colour!r}": "未知颜色 {colour!r}",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    "Windows error: {error}": "Windows 错误：{error}",
    "Unknown standard stream '{name}'": "未知的标准流 '{name}'",
    "Shell completion is not supported for Bash versions older than 4.4.": "Bash 4.4 以下版本不支持命令补全。",
    "Couldn't detect Bash version, shell completion is not supported.": "无法识别 Bash 版本，不支持命令补全。",
    # mistakes in declaring commands (seen by developers)
    "Could not determine name for option with declarations {decls!r}": "无法从声明 {decls!r} 确定选项名称",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?": "未声明选项却给出了名称（{name}）。是否应声明为参数，或写作 '--{name}'？",
    "Name '{name}' defined twice": "名称 '{name}' 定义了两次",
    "Boolean option {decl!r} cannot use the same flag for true/false.": "开关选项 {decl!r} 的是与否不能用同一个写法。",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.":
        "参数只能有一个声明，却有 {length} 个：{decls}。",
}

#: Click's counted msgids, keyed by the singular one -> Chinese for a count of one, for any other count.
PLURAL_CATALOG: dict[str, tuple[str, str]] = {
    "Did you mean {possibility}?": ("（是否想写：{possibility}？）", "（是否想写：{possibilities}？）"),
    "Got unexpected extra argument ({args})": ("多余的参数（{args}）", "多余的参数（{args}）"),
    "Takes {nargs} values but 1 was given.": ("需要 {nargs} 个值，只给了 1 个。", "需要 {nargs} 个值，给了 {len} 个。"),
    "Option {name!r} requires an argument.": ("选项 {name!r} 需要一个值。", "选项 {name!r} 需要 {nargs} 个值。"),
    "{value!r} is not {choice}.": ("{value!r} 不是 {choice}。", "{value!r} 不是可选值 {choices} 之一。"),
    "{value!r} does not match the format {format}.": ("{value!r} 不符合格式 {format}。",
                                                      "{value!r} 不符合格式 {formats} 中的任何一种。"),
    "{len_type} values are required, but {len_value} was given.": ("需要 {len_type} 个值，给了 {len_value} 个。",
                                                                   "需要 {len_type} 个值，给了 {len_value} 个。"),
}

#: Click's parameter type names as used in messages ("不是有效的整数") and default metavars.
TYPE_NAMES: dict[str, str] = {
    "StringParamType": "文本",
    "IntParamType": "整数",
    "IntRange": "整数",
    "FloatParamType": "数字",
    "FloatRange": "数字",
    "BoolParamType": "是/否",
    "DateTime": "日期时间",
    "File": "文件",
}

#: Click's modules that import gettext's `_` / `ngettext` (a missing or platform-only one is skipped).
CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui", "utils",
                 "_termui_impl", "shell_completion", "_winconsole")


def gettext(message: str) -> str:
    """Click's msgid in Chinese, or unchanged when the catalog does not know it."""
    return CATALOG.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Click's counted msgid in Chinese, or gettext's English choice when the catalog does not know it."""
    if singular in PLURAL_CATALOG:
        return PLURAL_CATALOG[singular][0 if n == 1 else 1]
    return singular if n == 1 else plural


def install() -> None:
    """Make Click speak Chinese in this process (idempotent): swap gettext's `_`/`ngettext` in
    Click's modules for the catalog lookups, and give Click's parameter types Chinese names."""
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except Exception:  # noqa: BLE001 - e.g. click._winconsole asserts it runs on Windows
            continue
        if getattr(module, "_", None) in (_gettext.gettext, gettext):
            module._ = gettext
        if getattr(module, "ngettext", None) in (_gettext.ngettext, ngettext):
            module.ngettext = ngettext
    types = importlib.import_module("click.types")
    for class_name, label in TYPE_NAMES.items():
        cls = getattr(types, class_name, None)
        if isinstance(cls, type) and isinstance(cls.__dict__.get("name"), str):
            cls.name = label
