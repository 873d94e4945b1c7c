"""The `vet` command line: thin Click commands over the library, in Chinese (Click's own texts
too, see vetting.cli.catalog and vetting.cli.help_format). Exit 0 done, 1 --fail-on hit or a failing
case, 2 error, 130 interrupted, 143 terminated (vetting.cli.terminal: what is printed, signals).
Commands import the stages they call: `vet -h` and `vet rules` need no pandas (tests/test_startup.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import replace
from typing import Callable

import click

from vetting import __version__
from vetting.cli import catalog as cli_catalog
from vetting.cli.boundary import finish, handle_errors
from vetting.cli.help_format import ChineseGroup
from vetting.cli.rulesets import load_ruleset
from vetting.cli.terminal import end_quickly, install_signal_handlers, leave, note, notes, say, stdout_file
from vetting.errors import RulesetError, RulesetErrors, VettingError
from vetting.history import ENV_VAR as HISTORY_ENV_VAR
from vetting.runoptions import history_options, report_format, resolve_as_of
from vetting.vocab import COVERAGE_MODES, ENGINES, VERDICTS
from vetting.vocab import REPORT_FORMATS as FORMATS

cli_catalog.install()  # before any option is declared: Click reads some texts at declaration
# The tool does no linear algebra: numpy's OpenBLAS need not start a thread per CPU when it loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

EXIT_FAIL_ON = 1


def _parse_date(ctx, param, value):  # noqa: ANN001 - click callback
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期「{value}」无效，应为 YYYY-MM-DD") from None


def _parse_pair_list(ctx, param, values):  # noqa: ANN001 - click callback
    pairs = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"「{item}」应写成 名称=值")
        if param is not None and param.name == "replies":
            from vetting.inputs.scope import split_scope

            if not value.strip():
                raise click.BadParameter(f"「{item}」缺少回复文件路径（应写成 部门=文件）")
            pairs.append((key.strip(), *split_scope(value.strip())))
            continue
        pairs.append((key.strip(), value.strip()))
    return pairs


def _parse_pairs(ctx, param, values):  # noqa: ANN001 - click callback
    return dict(_parse_pair_list(ctx, param, values))


ruleset_option = click.option("--ruleset", "-r", metavar="名称或路径", default="national", show_default=True,
                              help="规则集名称（内置）或YAML文件路径。")
as_of_option = click.option("--as-of", metavar="日期", callback=_parse_date,
                            help="审查基准日 YYYY-MM-DD（默认取规则集的选举日）。")
show_id_option = click.option("--show-id", is_flag=True, help="报告中显示完整身份证号（默认打码）。")
decisions_option = click.option("--decisions", metavar="文件", type=click.Path(dir_okay=False),
                                help="复核结论文件（xlsx/csv，模板：vet template --decisions）：审查后适用已记录的"
                                     "复核结论；已过时或找不到人选的结论逐条列出，不适用。")


def engine_option(default: str) -> Callable:
    return click.option("--engine", type=click.Choice(ENGINES), default=default, show_default=True,
                        help="审查引擎：vector（向量化，pandas）或 durable（durable_rules，在子进程中运行）；两者结论一致。")


def read_options(command: Callable) -> Callable:
    """Options shared by commands that read roster files."""
    for option in reversed([
        click.option("--sheet", metavar="工作表",
                     help="只读取指定的工作表（名称或序号）；默认读取所有含花名册表头的可见工作表。"),
        click.option("--header-row", metavar="行号", type=click.IntRange(min=1), help="表头所在行号（默认自动识别）。"),
        click.option("--encoding", metavar="编码", help="CSV文件编码（默认自动识别 UTF-8 / GB18030）。"),
        click.option("--map", "mapping", metavar="表头=字段", multiple=True, callback=_parse_pairs,
                     help="补充列映射：表头=字段名，可重复。"),
    ]):
        command = option(command)
    return command


@click.group("vet", cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vet")
def cli() -> None:
    """村(社区)"两委"换届人选资格联审工具：按规则集审查花名册，给出每名人选的结论和理由。

    \b
    示例：
      vet run 花名册.xlsx --as-of 2026-12-15 -o 审查结果.xlsx
      vet check 花名册.xlsx --row 5 --as-of 2026-12-15
      vet rules list

    各命令的用法和示例：vet 命令 -h，如 vet run -h。
    """


@cli.command("run", short_help="批量审查花名册，输出带理由的结论报告。")
@click.argument("rosters", metavar="花名册...", nargs=-1, required=True)
@ruleset_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="报告格式（默认按输出文件扩展名，否则 json）。")
@click.option("-o", "--output", metavar="文件", type=click.Path(dir_okay=False),
              help="报告文件；省略时 json/csv 输出到标准输出。")
@click.option("--fail-on", type=click.Choice(VERDICTS[:-1]),
              help="出现该等级或更严重的结论时以退出码1结束（用于流水线）。")
@show_id_option
@read_options
@click.option("--findings", "replies", metavar="部门=文件", multiple=True, callback=_parse_pair_list,
              help="联审部门回复文件：部门=文件（如 公安=回复/公安.xlsx），可重复；文件中未列出的人视为该部门无记录。"
                   "只答复一部分人选时写 部门=文件@花名册文件 或 部门=文件@乡镇（如 公安=甲镇公安.xlsx@甲镇）。")
@click.option("--db", metavar="文件", type=click.Path(dir_okay=False),
              help=f"审查记录数据库（默认取环境变量 {HISTORY_ENV_VAR}，否则为用户数据目录下的 history.sqlite3）。")
@click.option("--no-history", is_flag=True, help="不记录本次审查。")
@click.option("--officers", metavar="文件",
              help="现任干部名册（各村现任书记、主任、委员）：后备力量审查（--ruleset reserve）按村逐个职位核对"
                   "有无后备力量（一村一职一备）。")
@engine_option("vector")
@click.option("--coverage", type=click.Choice(COVERAGE_MODES),
              help="本次无法审查的规则（花名册无相应列、也无部门出具意见）：partial 在报告中统一说明，"
                   "strict 对每名人选记为待反馈（默认取规则集的设置，一般为 partial）。")
@click.option("-q", "--quiet", is_flag=True,
              help="不显示进度（进度只在标准错误为终端时显示：阶段、已处理行数和每秒行数）。")
@decisions_option
@click.option("--chunk-rows", type=click.IntRange(min=1), metavar="行数",
              help="分块审查：每块人选数（默认超过5万人时自动分块写出，按问题数定块大小；"
                   "CSV花名册超过20 MB（多进程审查时；单进程64 MB）时分块读取；仅 csv/json 报告写入文件时）。")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="进程数",
              help="分块读取的大花名册（CSV超过20 MB，或给出 --chunk-rows）由几个进程并行审查"
                   "（默认按CPU核数，最多4个；小花名册默认1个）。")
@handle_errors
def run_command(rosters, ruleset, as_of, fmt, output, fail_on, show_id, sheet, header_row, encoding, mapping,
                replies, db, no_history, officers, engine, coverage, decisions, quiet, chunk_rows, jobs):
    """批量审查一个或多个花名册，输出带理由的结论报告。

    \b
    示例：
      vet run 花名册.xlsx --as-of 2026-12-15 -o 审查结果.xlsx
      vet run 甲村.xlsx 乙村.csv --findings 公安=回复/公安.xlsx -o 审查结果.json
      vet run 花名册.csv --as-of 2026-12-15 --fail-on review > 审查结果.json
      vet run 花名册.xlsx --decisions 复核结论.xlsx -o 审查结果.xlsx
    """
    from vetting.cli.run_flow import RunRequest, evaluate_and_write
    from vetting.cli.run_history import record_history
    from vetting.decisions import read_decisions
    from vetting.history import resolve_db_path
    from vetting.outplan import check_run, sweep_run_leftovers
    from vetting.pipeline import ReadOptions
    from vetting.pools import require_posts_rule
    from vetting.runsummary import fail_on_hit, stdout_csv_hint, summary_lines

    started_at = dt.datetime.now().astimezone()
    rules = load_ruleset(ruleset)
    as_of = resolve_as_of(as_of, rules)
    fmt = report_format(fmt, output)
    db_path = None if no_history else resolve_db_path(db, os.environ)
    if officers:
        require_posts_rule(rules)
    check_run([*rosters, *([officers] if officers else [])], replies, rules.chain, output, fmt, db_path,
              stdout_file(), decisions)
    notes(sweep_run_leftovers(output, fmt, db_path))
    read = ReadOptions(sheet, header_row, encoding, mapping, tuple(replies))
    request = RunRequest(rosters, rules, as_of, read, fmt, output, show_id, engine, coverage, chunk_rows, quiet,
                         db_path, officers, read_decisions(decisions, encoding) if decisions else None,
                         lambda: dt.datetime.now(), jobs)
    result, recording = evaluate_and_write(request)
    notes(summary_lines(result, output, inputs=False) + stdout_csv_hint(result.meta, fmt, output))
    if not no_history:
        options = history_options(rosters, ruleset, as_of, fmt, output, fail_on, show_id, read, coverage, decisions)
        options["officers"] = officers
        record_history(db_path, result, started_at, output, options, recording)
    if fail_on_hit(result.meta["verdict_counts"], fail_on):
        sys.exit(EXIT_FAIL_ON)


@cli.command("check", short_help="审查单个人选，给出结论和每一条理由。")
@click.argument("roster", metavar="[花名册]", required=False)
@click.option("--row", metavar="行号", type=int, help="花名册中的行号（与表格中看到的行号一致）。")
@click.option("--set", "values", metavar="字段=值", multiple=True, callback=_parse_pairs,
              help="字段=值，可重复（字段可写中文表头）。")
@click.option("--json", "json_text", metavar="JSON", help="候选人信息JSON对象；以@开头表示从文件读取。")
@ruleset_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text（文字）或 json。")
@show_id_option
@read_options
@engine_option("durable")
@decisions_option
@handle_errors
def check_command(roster, row, values, json_text, ruleset, as_of, fmt, show_id, sheet, header_row, encoding,
                  mapping, engine, decisions):
    """审查单个人选：给出结论和每一条理由。

    人选可以是花名册中的一行（花名册和 --row），也可以用 --set / --json 直接给出。

    \b
    示例：
      vet check 花名册.xlsx --row 5 --as-of 2026-12-15
      vet check --as-of 2026-12-15 --set 姓名=张三 --set 出生日期=2008-12-16
      vet check --as-of 2026-12-15 --json @人选.json --format json
    """
    end_quickly()  # prints, writes nothing: the process need not tear pandas down at exit
    if engine == "durable":  # its process starts now, while what follows is imported and read
        from vetting.engine.durable.spawn import prestart
        prestart()
    from vetting.explain import candidate_text
    from vetting.pipeline import ReadOptions
    from vetting.single import check_record, check_roster_row, record_from

    rules = load_ruleset(ruleset)
    as_of = resolve_as_of(as_of, rules)
    if roster:
        if row is None:
            raise click.BadParameter("从花名册审查单人时需用 --row 指定行号", param_hint="--row")
        checked = check_roster_row(roster, row, rules, as_of, ReadOptions(sheet, header_row, encoding, mapping),
                                   engine=engine)
    else:
        record = record_from(values, json_text)
        if not record:
            raise click.UsageError("请给出花名册和 --row，或用 --set / --json 给出人选信息")
        checked = check_record(record, rules, as_of, engine=engine)
    if decisions:
        from vetting.decisions import apply_decisions, read_decisions
        from vetting.runsummary import person_decision_lines

        recorded = read_decisions(decisions, encoding)
        checked = replace(checked, result=apply_decisions(checked.result, recorded[0], rules, recorded[1]))
        notes(person_decision_lines(checked.result, checked.row_id))
    notes(checked.hints)
    if fmt == "json":
        from vetting.reports.json_report import candidate_object

        obj = candidate_object(checked.result, checked.row_id, show_id=show_id)
        click.echo(json.dumps(obj, ensure_ascii=False, indent=2))
    else:
        say(candidate_text(checked.result, checked.row_id, show_id=show_id))


@cli.group("rules", short_help="查看、校验和导出规则集。")
def rules_group() -> None:
    """查看、校验和导出规则集。

    \b
    示例：
      vet rules list
      vet rules show D01 --as-of 2026-12-15
      vet rules export --as-of 2026-12-15 -o 规则审定表.xlsx
    """


@rules_group.command("list", short_help="列出规则集中的全部规则。")
@ruleset_option
@handle_errors
def rules_list_command(ruleset):
    """列出规则集中的全部规则。

    \b
    示例：
      vet rules list
      vet rules list --ruleset 本县规则.yaml
    """
    rules = load_ruleset(ruleset)
    say(f"{rules.title}（{rules.id} {rules.version}，{len(rules.rules)} 条规则）")
    for rule in rules.rules:
        say(f"{rule.code:<6} {rule.severity:<11} {rule.category:<6} {rule.name}" + ("［地方口径］" if rule.local else ""))
    if rules.disabled:
        say(f"已停用：{'、'.join(rules.disabled)}")


@rules_group.command("show", short_help="解释一条规则。")
@click.argument("code", metavar="规则编号")
@ruleset_option
@as_of_option
@handle_errors
def rules_show_command(code, ruleset, as_of):
    """解释一条规则：查什么、为什么、依据和基准日有效的参数。

    \b
    示例：
      vet rules show D01 --as-of 2026-12-15
    """
    from vetting.explain import code_text, known_codes

    rules = load_ruleset(ruleset)
    text = code_text(code, rules, resolve_as_of(as_of, rules) if (as_of or rules.election_date) else dt.date.max)
    if text is None:
        from vetting.errors import did_you_mean
        raise VettingError(f"规则集「{rules.id}」中没有规则「{code}」{did_you_mean(code, known_codes(rules))}")
    say(text)


@rules_group.command("validate", short_help="校验规则集文件。")
@click.argument("paths", metavar="规则集文件...", nargs=-1, required=True)
@handle_errors
def rules_validate_command(paths):
    """校验规则集文件：一次列出每个文件的全部错误（文件、行号和字段）；有错误时退出码2。

    \b
    示例：
      vet rules validate 本县规则.yaml
    """
    found = []
    for path in paths:  # every file checked, every independent error of each reported
        try:
            rules = load_ruleset(path)
        except RulesetError as exc:
            found += exc.errors if isinstance(exc, RulesetErrors) else [exc]
            continue
        say(f"{path}：有效（{rules.id} {rules.version}，{len(rules.rules)} 条规则）")
    if found:
        raise found[0] if len(found) == 1 else RulesetErrors(found)


@rules_group.command("packs", short_help="列出内置规则集。")
def rules_packs_command():
    """列出内置规则集。

    \b
    示例：
      vet rules packs
    """
    from vetting.ruleset.loader import bundled_packs

    for name, path in sorted(bundled_packs().items()):
        say(f"{name}\t{path}")


@rules_group.command("export", short_help="导出规则集审定表（Markdown 或 Excel）。")
@ruleset_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["md", "xlsx"]),
              help="md（Markdown表格）或 xlsx（默认按输出文件扩展名，否则 md）。")
@click.option("-o", "--output", metavar="文件", type=click.Path(dir_okay=False), help="输出文件；省略时 md 输出到标准输出。")
@handle_errors
def rules_export_command(ruleset, as_of, fmt, output):
    """导出规则集审定表：编号、名称、严重程度、条件（文字）、基准日有效参数、依据，供审定签字。

    \b
    示例：
      vet rules export --as-of 2026-12-15 -o 规则审定表.xlsx
      vet rules export --ruleset 本县规则.yaml > 规则审定表.md
    """
    from vetting.export import export_ruleset
    from vetting.outplan import check_file_output, sweep_leftovers

    rules = load_ruleset(ruleset)
    as_of = resolve_as_of(as_of, rules) if (as_of or rules.election_date) else None
    fmt = fmt or ("xlsx" if output and output.lower().endswith(".xlsx") else "md")
    if fmt == "xlsx" and not output:
        raise click.BadParameter("xlsx 格式需要用 -o 指定输出文件", param_hint="-o")
    check_file_output(output, "导出文件", rules.chain, stdout_file())
    notes(sweep_leftovers([output] if output else []))
    text = export_ruleset(rules, as_of, fmt, output)
    if text is not None:
        say(text)
    else:
        note(f"已导出 {rules.id}（{len(rules.rules)} 条规则）：{output}")


history_db_option = click.option("--db", metavar="文件", type=click.Path(dir_okay=False),
                                 help=f"审查记录数据库（默认取环境变量 {HISTORY_ENV_VAR}，否则为用户数据目录下的 "
                                      "history.sqlite3）。")


def _history_path(ctx: click.Context, db: str | None):
    """The database for a `vet history` command: its own --db, else the group's, else the default."""
    from vetting.history import resolve_db_path

    return resolve_db_path(db or (ctx.obj or {}).get("db"), os.environ)


@cli.group("history", invoke_without_command=True, short_help="列出、查看、比较历次审查记录。")
@history_db_option
@click.option("--limit", metavar="条数", type=click.IntRange(min=1), default=20, show_default=True,
              help="最多列出的记录数。")
@click.pass_context
@handle_errors
def history_group(ctx, db, limit):
    """审查记录：列出、查看、比较历次 vet run。

    \b
    示例：
      vet history
      vet history show latest
      vet history compare latest~1 latest
    """
    ctx.obj = {"db": db}
    if ctx.invoked_subcommand is not None:
        return
    from vetting.history import open_history, runs_text

    path = _history_path(ctx, None)
    if not path.is_file():
        say(runs_text([], path))
        return
    with open_history(path) as store:
        say(runs_text(store.runs(limit), path, total=store.count()))


history_show_id_option = click.option(
    "--show-id", is_flag=True,
    help="同时显示身份证号的加密钥摘要（HMAC-SHA256，密钥在数据库旁的 .key 文件中，用于跨次比对；完整号码从不保存）。")


@history_group.command("compare", short_help="比较两次审查，列出结论变化及原因。")
@click.argument("run_a", metavar="记录A")
@click.argument("run_b", metavar="记录B")
@history_db_option
@history_show_id_option
@click.pass_context
@handle_errors
def history_compare_command(ctx, run_a, run_b, db, show_id):
    """比较两次审查：列出结论有变化的人选及原因（新增、消失、变化的规则）。记录的写法同 vet history show。

    \b
    示例：
      vet history compare latest~1 latest
      vet history compare 11 12
    """
    from vetting.history import compare_runs, comparison_text, open_history

    with open_history(_history_path(ctx, db)) as store:
        old, new = store.run(store.resolve(run_a)), store.run(store.resolve(run_b))
    say(comparison_text(compare_runs(old, new), show_digest=show_id))


def main() -> None:
    """Console-script entry point (a closed pipe such as `vet rules list | head` is not an error;
    standard output that cannot be written, such as a full disk, is exit 2; see cli.boundary)."""
    install_signal_handlers()
    try:
        cli(prog_name="vet")
    except BrokenPipeError:
        sys.exit(finish(0))
    except SystemExit as exc:
        leave(finish(exc.code))


from vetting.cli.diff_command import diff_command  # noqa: E402 - registers `vet diff` on the group above

cli.add_command(diff_command)
from vetting.cli.lint_command import lint_command  # noqa: E402 - `vet rules lint`

rules_group.add_command(lint_command)
from vetting.cli.test_command import test_command  # noqa: E402 - `vet test`

cli.add_command(test_command)
from vetting.cli.history_show import history_show_command  # noqa: E402 - `vet history show`

history_group.add_command(history_show_command)
from vetting.cli.template_command import template_command  # noqa: E402 - `vet template`

cli.add_command(template_command)
