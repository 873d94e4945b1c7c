"""`vet diff`: the same rosters under two rule sets, on two as-of dates, or a pack against a recorded
run; who changes, old -> new, and the rules responsible (logic in vetting.diff)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from vetting.cli import _parse_date, _parse_pair_list, read_options
from vetting.cli.boundary import handle_errors, writing
from vetting.cli.help_format import ChineseCommand
from vetting.cli.rulesets import load_ruleset
from vetting.cli.terminal import note, notes, say, stdout_file
from vetting.errors import OptionError
from vetting.history import ENV_VAR as HISTORY_ENV_VAR
from vetting.runoptions import resolve_as_of

DIFF_FORMATS = ("text", "json", "xlsx")
EXIT_CHANGED = 1


def _format(fmt: str | None, output: str | None) -> str:
    """--format, else the output file's suffix (.json, .xlsx; anything else is text)."""
    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        fmt = {".json": "json", ".xlsx": "xlsx"}.get(suffix, "text")
    if fmt == "xlsx" and not output:
        raise OptionError("xlsx 格式需要用 -o 指定输出文件", "-o")
    return fmt


@click.command("diff", cls=ChineseCommand, short_help="规则或基准日改变后，列出结论有变化的人选及原因。")
@click.argument("rosters", metavar="花名册...", nargs=-1, required=True)
@click.option("--old", "old_pack", metavar="规则集", help="旧规则集（名称或YAML路径；默认同 --ruleset）。")
@click.option("--new", "new_pack", metavar="规则集", help="新规则集（名称或YAML路径；默认同 --ruleset）。")
@click.option("--ruleset", "-r", metavar="名称或路径", default="national", show_default=True,
              help="两边共用的规则集（只比较基准日时）。")
@click.option("--as-of", metavar="日期", callback=_parse_date, help="两边共用的审查基准日 YYYY-MM-DD。")
@click.option("--old-as-of", metavar="日期", callback=_parse_date, help="旧的审查基准日（默认同 --as-of）。")
@click.option("--new-as-of", metavar="日期", callback=_parse_date, help="新的审查基准日（默认同 --as-of）。")
@click.option("--run", "run_ref", metavar="记录",
              help="与一次审查记录比较（编号、latest 或 latest~N）：旧的一边取记录中的结论，"
                   "新的一边用 --new 规则集重新审查花名册。")
@click.option("--db", metavar="文件", type=click.Path(dir_okay=False),
              help=f"与 --run 同用：审查记录数据库（默认取环境变量 {HISTORY_ENV_VAR}，"
                   "否则为用户数据目录下的 history.sqlite3）。")
@click.option("--format", "fmt", type=click.Choice(DIFF_FORMATS),
              help="text（文字，默认）、json 或 xlsx（默认按输出文件扩展名）。")
@click.option("-o", "--output", metavar="文件", type=click.Path(dir_okay=False),
              help="输出文件；省略时 text/json 输出到标准输出。")
@click.option("--fail-on-change", is_flag=True, help="有人选结论变化时以退出码1结束（用于流水线）。")
@read_options
@click.option("--findings", "replies", metavar="部门=文件", multiple=True, callback=_parse_pair_list,
              help="联审部门回复文件：部门=文件，可重复（两边都使用）。")
@handle_errors
def diff_command(rosters, old_pack, new_pack, ruleset, as_of, old_as_of, new_as_of, run_ref, db,  # noqa: ANN001
                 fmt, output, fail_on_change, sheet, header_row, encoding, mapping, replies):  # noqa: ANN001
    """同一批花名册在两种规则集、两个基准日下审查，或与一次审查记录比较：列出结论或问题有变化的人选，
    旧结论 → 新结论，以及造成变化的规则（参数、严重程度、条件的改动或基准日），并按规则、按村统计。

    \b
    示例：
      vet diff 花名册.xlsx --old national --new 我县.yaml --as-of 2026-12-15
      vet diff 花名册.xlsx --old-as-of 2026-12-15 --new-as-of 2027-03-01
      vet diff 花名册.xlsx --run latest --new 我县.yaml
      vet diff 花名册.xlsx --new 我县.yaml --as-of 2026-12-15 -o 变化.xlsx
    """
    from vetting.diff.run import diff_recorded, diff_setups
    from vetting.diff.text import diff_object, diff_text
    from vetting.diff.xlsx import write_diff_xlsx
    from vetting.history import history_files, open_history, resolve_db_path
    from vetting.outplan import Place, check_plan, run_inputs, sweep_leftovers
    from vetting.pipeline import ReadOptions

    fmt = _format(fmt, output)
    read = ReadOptions(sheet, header_row, encoding, mapping, tuple(replies))
    new_name = new_pack or ruleset
    new = load_ruleset(new_name)
    if run_ref:
        if old_pack or old_as_of:
            raise click.UsageError("--run 与 --old / --old-as-of 不能同用：旧的一边就是该审查记录")
        db_path = resolve_db_path(db, os.environ)
        with open_history(db_path) as store:
            detail = store.run(store.resolve(run_ref))
            key = _history_key(db_path, detail.run.id_key_id)
        inputs = run_inputs(rosters, replies, new.chain) + [Place(p, role) for p, role in history_files(db_path)]
        check_plan([Place(Path(output), "比较结果", "-o")] if output else [], inputs, None if output else stdout_file())
        when = new_as_of or as_of or _recorded_as_of(detail) or resolve_as_of(None, new)
        diff = diff_recorded(detail, rosters, new, when, read, key, new_name)
    else:
        old_name = old_pack or ruleset
        old = load_ruleset(old_name)
        chains = list(dict.fromkeys([*old.chain, *new.chain]))
        check_plan([Place(Path(output), "比较结果", "-o")] if output else [], run_inputs(rosters, replies, chains),
                   None if output else stdout_file())
        diff = diff_setups(rosters, old, new, resolve_as_of(old_as_of or as_of, old),
                           resolve_as_of(new_as_of or as_of, new), read, (old_name, new_name))
    notes(sweep_leftovers([output] if output else []))
    with writing(f"比较结果 {output}" if output else "比较结果到标准输出"):
        if fmt == "xlsx":
            write_diff_xlsx(diff, output)
        else:
            text = (json.dumps(diff_object(diff), ensure_ascii=False, indent=2) if fmt == "json" else diff_text(diff))
            if output:
                from vetting.atomic import write_atomic
                write_atomic(output, (text + "\n").encode("utf-8"))
            else:
                say(text)
    if output:
        note(f"比较结果已写入 {output}：结论有变化 {len(diff.verdict_changes)} 人，仅问题有变化 "
             f"{len(diff.finding_changes)} 人")
    if fail_on_change and diff.verdict_changes:
        sys.exit(EXIT_CHANGED)


def _recorded_as_of(detail):  # noqa: ANN001, ANN202
    import datetime as dt
    try:
        return dt.date.fromisoformat(str(detail.run.as_of)) if detail.run.as_of else None
    except ValueError:
        return None


def _history_key(db_path, key_id):  # noqa: ANN001, ANN202
    """The history's ID key, read only, when it is the key the run's digests were made with."""
    from vetting.history.keys import key_fingerprint, key_path, read_key
    key = read_key(key_path(db_path))
    return key if key is not None and key_id and key_fingerprint(key) == key_id else None
