"""`vet test`: the packs' regression cases on both engines, with rule coverage; another pack's cases
(`--cases national --pack 我县.yaml`) report what the pack changes; text, JSON or JUnit for CI."""

from __future__ import annotations

import json
import sys

import click

from vetting.cli.boundary import handle_errors
from vetting.cli.help_format import ChineseCommand
from vetting.cli.terminal import say
from vetting.errors import VettingError
from vetting.vocab import ENGINES

EXIT_FAILED = 1


@click.command("test", cls=ChineseCommand, short_help="运行规则集回归案例，报告规则覆盖率。")
@click.argument("paths", metavar="[案例文件]...", nargs=-1)
@click.option("--cases", "cases", metavar="名称或路径", multiple=True,
              help="案例：内置规则集的名称（如 national，在任何目录下都可用）或案例文件、目录，可重复。")
@click.option("--pack", metavar="规则集",
              help="只运行该内置规则集的案例；与案例同用时，改用该规则集（名称或YAML路径）运行给出的案例："
                   "为其他规则集写的案例结论不同时列为“经本规则集改变”（原结论 → 新结论），不算失败。")
@click.option("--fail-under", metavar="百分比", type=click.FloatRange(0, 100), default=0.0, show_default=True,
              help="任一规则集的规则覆盖率（%）低于此值时以退出码1结束。")
@click.option("-v", "--verbose", is_flag=True, help="列出每个案例。")
@click.option("--engine", type=click.Choice([*ENGINES, "both"]), default="both", show_default=True,
              help="在哪个审查引擎上核对预期结论（both：两个引擎都核对）。")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="输出格式：text（文字）、json 或 junit（JUnit XML，供流水线展示）。")
@handle_errors
def test_command(paths, cases, pack, fail_under, verbose, engine, fmt):  # noqa: ANN001 - typed by their options
    """运行规则集回归案例（rulesets/tests/<规则集>/*.yaml）：失败的案例、规则覆盖率；有失败时退出码1。
    用 --cases national --pack 我县.yaml 查看本县规则集改变了哪些全国案例的结论（列出原结论和新结论，不算失败）。

    \b
    示例：
      vet test
      vet test --pack national -v --fail-under 90
      vet test --cases national --pack 我县.yaml
      vet test 本县案例.yaml --pack 本县规则.yaml --engine vector
      vet test --format junit > 案例结果.xml
    """
    from vetting.casetest import load_suites, report_text, run_suite
    from vetting.casetest.cases import shipped_cases
    from vetting.casetest.formats import junit_xml, report_object

    given = [*paths, *(str(shipped_cases(c) or c) for c in cases)]
    suites = load_suites(given, pack)
    if not suites:
        raise VettingError("没有找到案例文件（rulesets/tests/<规则集>/*.yaml）")
    engines = ENGINES if engine == "both" else (engine,)
    reports = [run_suite(s, engines) for s in suites]
    text, failed = report_text(reports, fail_under, verbose)
    if fmt == "json":
        say(json.dumps(report_object(reports, fail_under), ensure_ascii=False, indent=2))
    elif fmt == "junit":
        say(junit_xml(reports, fail_under))
    else:
        say(text)
    if failed:
        sys.exit(EXIT_FAILED)
