"""`vet template`: the roster an office should send for a pack, or the decisions (复核结论) template."""

from __future__ import annotations

import click

from vetting.cli import ruleset_option
from vetting.cli.boundary import handle_errors
from vetting.cli.help_format import ChineseCommand
from vetting.cli.rulesets import load_ruleset
from vetting.cli.terminal import note, notes


@click.command("template", cls=ChineseCommand, short_help="生成规则集对应的花名册模板（Excel 或 CSV）。")
@ruleset_option
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]),
              help="xlsx：表头分栏并注明由谁填写，带下拉列表、填写提示和填表说明；csv：只有一行表头（UTF-8 带BOM），"
                   "没有下拉列表和说明。默认按输出文件扩展名，否则 xlsx。")
@click.option("-o", "--output", metavar="文件", required=True, type=click.Path(dir_okay=False), help="模板文件。")
@click.option("--decisions", "decisions", is_flag=True,
              help="生成复核结论模板（记录复核后的结论，供 vet run --decisions 使用），而不是花名册模板。")
@click.option("--from", "report", metavar="报告.json", type=click.Path(dir_okay=False),
              help="与 --decisions 同用：按该 JSON 报告中取消资格、不宜、需复核的问题预填模板（含复核依据码）。")
@handle_errors
def template_command(ruleset: str, fmt: str | None, output: str, decisions: bool, report: str | None) -> None:
    """生成花名册模板：规则集审查时读取的每一列，注明由乡镇、联审部门还是考察组填写；是/否和各类
    选项有下拉列表，身份证号和日期列为文本格式，另附填表说明（每列的可选值、相关规则及依据）。
    填好的模板可直接用 vet run 审查。

    \b
    示例：
      vet template -o 花名册模板.xlsx
      vet template -r county-template -o 本县花名册模板.xlsx
      vet template --format csv -o 花名册模板.csv
      vet template --decisions --from 审查结果.json -o 复核结论.xlsx
    """
    from vetting.outplan import check_file_output, sweep_leftovers
    from vetting.rostertemplate import template_format, write_template

    rules = load_ruleset(ruleset)
    if report and not decisions:
        raise click.UsageError("--from 只能与 --decisions 同用（按审查报告预填复核结论模板）")
    check_file_output(output, "复核结论模板" if decisions else "花名册模板", rules.chain, inputs=[report] if report else ())
    notes(sweep_leftovers([output]))
    if decisions:
        from vetting.decisions.template import write_from_report

        return note(write_from_report(output, template_format(fmt, output), rules, report))
    layout = write_template(rules, output, template_format(fmt, output))
    note(f"已生成花名册模板（{rules.id}，{len(layout.columns)} 列）：{output}")
