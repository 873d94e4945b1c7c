"""`vet rules lint`: a pack's defects in one pass, each with file:line (logic in vetting.lint)."""

from __future__ import annotations

import json
import sys

import click

from vetting.cli.boundary import handle_errors
from vetting.cli.help_format import ChineseCommand
from vetting.cli.terminal import note, say
from vetting.errors import RulesetError

EXIT_DEFECTS = 1
EXIT_INVALID = 2


@click.command("lint", cls=ChineseCommand, short_help="检查规则集的缺陷（永不命中、未用参数、缺少案例等）。")
@click.argument("packs", metavar="[规则集]...", nargs=-1)
@click.option("--cases", "cases", metavar="案例", multiple=True,
              help="回归案例文件或目录，可重复（默认：内置规则集的案例，或规则集文件旁的 tests/<文件名>/）。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text（每个问题一行：文件:行号: [检查] 对象：说明）或 json。")
@handle_errors
def lint_command(packs, cases, fmt):  # noqa: ANN001 - typed by their options
    """检查规则集的缺陷，一次列出全部问题（文件:行号）：永远不会命中的规则（条件自相矛盾、与适用职务不相交）、
    总被条件相同而更严重的规则遮蔽的规则、没有规则读取的参数、对照表缺少的取值（如某种处分没有影响期）、
    依据只是待填文字的规则、没有命中案例或没有不命中案例的规则、既无出处也未标 local: true 的数值、
    extends 中没有改变任何内容的覆盖。不给规则集时检查全部内置规则集。
    退出码：0 没有问题，1 发现问题，2 规则集无效（列出全部错误）。

    \b
    示例：
      vet rules lint
      vet rules lint 我县.yaml
      vet rules lint 我县.yaml --cases 我县案例/ --format json
    """
    from vetting.lint import lint_error, lint_object, lint_pack, lint_text
    from vetting.ruleset.loader import bundled_packs

    names = list(packs) or sorted(bundled_packs())
    results, invalid = [], []
    for name in names:
        try:
            ruleset, problems = lint_pack(name, cases)
        except RulesetError as exc:
            invalid.append((name, exc))
            continue
        results.append((name, ruleset, problems))
    if fmt == "json":
        data = lint_object(results)
        data["invalid"] = [{"pack": name, **lint_error(exc)} for name, exc in invalid]
        say(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        if results:
            say(lint_text(results))
        for name, exc in invalid:
            note(f"错误：{name} 无效：{exc.message}")
    if invalid:
        sys.exit(EXIT_INVALID)
    if any(problems for _, _, problems in results):
        sys.exit(EXIT_DEFECTS)
