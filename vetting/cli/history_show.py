"""`vet history show`: one recorded run - filtered, a page at a time, or exported as a report
(logic in vetting.history: selection, store, text, export)."""

from __future__ import annotations

import click

from vetting.cli import _history_path, history_db_option, history_show_id_option
from vetting.cli.boundary import handle_errors, writing
from vetting.cli.help_format import ChineseCommand
from vetting.cli.terminal import note, notes, say
from vetting.history.selection import DEFAULT_LIMIT as HISTORY_PAGE
from vetting.history.selection import EXPORT_FORMATS as HISTORY_EXPORT_FORMATS
from vetting.history.selection import make_selection
from vetting.runoptions import report_format


@click.command("show", cls=ChineseCommand, short_help="显示一次审查的结论和问题（可筛选、分页、导出）。")
@click.argument("run", metavar="记录")
@history_db_option
@history_show_id_option
@click.option("--verdict", "verdicts", metavar="结论", multiple=True,
              help="只列出该结论的人选（如 取消资格 或 disqualified），可重复。")
@click.option("--village", "villages", metavar="村(社区)", multiple=True, help="只列出该村(社区)的人选，可重复。")
@click.option("--township", "townships", metavar="乡镇(街道)", multiple=True, help="只列出该乡镇(街道)的人选，可重复。")
@click.option("--rule", "rules", metavar="规则编号", multiple=True, help="只列出有该规则问题的人选（如 D01），可重复。")
@click.option("--limit", metavar="人数", type=click.IntRange(min=0), default=HISTORY_PAGE, show_default=True,
              help="最多显示的人选数；0 表示全部。")
@click.option("--offset", metavar="人数", type=click.IntRange(min=0), default=0, help="跳过前若干名人选（翻页）。")
@click.option("-o", "--output", metavar="文件", type=click.Path(dir_okay=False),
              help="把符合筛选条件的全部人选导出为报告（.xlsx 或 .csv，列同审查报告的候选人表）。")
@click.option("--format", "fmt", type=click.Choice(HISTORY_EXPORT_FORMATS), help="导出格式（默认按输出文件扩展名）。")
@click.pass_context
@handle_errors
def history_show_command(ctx: click.Context, run: str, db: str | None, show_id: bool, verdicts: tuple[str, ...],
                         villages: tuple[str, ...], townships: tuple[str, ...], rules: tuple[str, ...], limit: int,
                         offset: int, output: str | None, fmt: str | None) -> None:
    """显示一次审查：审计信息、每名人选的结论和问题。记录为编号、latest（最近一次）或 latest~N（最近一次之前第N次）。

    默认显示前 50 名人选；--limit 0 显示全部，--offset 翻页，-o 导出为 Excel 或 CSV。

    \b
    示例：
      vet history show 12
      vet history show latest --verdict 取消资格 --village 红星村
      vet history show latest --rule D01 --limit 0
      vet history show latest --verdict 需复核 -o 需复核人选.xlsx
    """
    from vetting.history import open_history
    from vetting.history.text import page_text
    from vetting.outplan import check_history_export, sweep_leftovers
    from vetting.reports import report_files

    path = _history_path(ctx, db)
    selection = make_selection(verdicts, villages, townships, rules)
    if output:
        fmt = report_format(fmt, output)
        if fmt not in HISTORY_EXPORT_FORMATS:
            raise click.BadParameter(f"导出格式只能是 {'、'.join(HISTORY_EXPORT_FORMATS)}", param_hint="--format")
        check_history_export(output, fmt, path)
        notes(sweep_leftovers(p for p, _ in report_files(output, fmt)))
    with open_history(path) as store:
        run_id = store.resolve(run)
        summary = store.summary(run_id)
        if output:
            candidates, findings = store.frames(run_id, selection)
        else:
            page, total = store.page(run_id, selection, limit or None, offset)
            unmatched = store.unmatched_decisions(run_id)
    if output:
        from vetting.history.export import export_run, stored_result

        with writing(f"导出文件 {output}"):
            export_run(stored_result(summary, candidates, findings, selection, show_id), output, fmt)
        note(f"已导出审查记录 #{run_id} 的 {len(candidates)} 名人选：{output}")
    else:
        say(page_text(summary, page, total, offset, selection, show_digest=show_id, unmatched=unmatched))
