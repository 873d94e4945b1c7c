"""The child side of the durable_rules engine: the C core driven synchronously, and the process's
request loop. This is the only module that imports durable_rules.

    python -c "... import vetting.engine.durable.host as h; h.main([STATUS_FILE])"

Requests arrive on stdin and replies leave on the original stdout (see protocol.py). Before every
assertion the worker writes (ruleset index, candidate index) into STATUS_FILE (memory-mapped), so
that if the C core kills the process the parent can name the ruleset and the candidate. Anything
else written to stdout (e.g. by C code) goes to stderr.
"""

from __future__ import annotations

import array
import mmap
import os
import sys
from typing import Callable, Sequence

from vetting.engine.durable.protocol import STATUS, receive, send
from vetting.errors import EngineError

_CORE_HINTS = {
    "106": "（规则数超出 durable_rules 上限，jruizgit/rules#377）",
    "113": "（条件表达式超出 durable_rules 上限，jruizgit/rules#361）",
    "204": "（JSON 无法解析）",
    "302": "（事实属性超过255个）",
    "303": "（同时匹配的规则过多，jruizgit/rules#312）",
}


class DurableHost:
    """The durable_rules core driven synchronously: one state per candidate, no Python actions.

    `status(ruleset_index, candidate_index)` is called before every assertion so that the parent can
    say where a crash happened."""

    def __init__(self, rulesets: Sequence[tuple], status: Callable[[int, int], None] = lambda k, i: None) -> None:
        import durable  # noqa: F401  - the durable-rules package; its C core is durable_rules_engine
        import durable_rules_engine

        self.core, self.status = durable_rules_engine, status
        self.handles = []
        for k, (name, text, count) in enumerate(rulesets):
            status(k, -1)
            try:
                self.handles.append((name, self.core.create_ruleset(name, text), count))
            except self.core.error as exc:
                raise EngineError(f"durable_rules 无法创建规则集「{name}」：{_hint(exc)}") from None

    def run(self, start: int, facts: Sequence[Sequence[str]]) -> bytes:
        """Assert each candidate's facts in its own state; per firing the int32 pair (candidate index
        in this batch, durable rule id), as bytes.

        A state is deleted only after at least one action ran in it: durable_rules 2.0.28's
        createStateNode leaves `context.messages`/`context.stateFact` uninitialised and
        deleteStateNode frees them, so deleting a state in which no action started (a fact that
        matched nothing, F4) frees garbage and crashes at random. Compiled programs have a
        catch-all rule, so this never happens; if it does, the run stops with EngineError."""
        core, hits = self.core, array.array("i")
        for i, texts in enumerate(facts):
            sid = str(start + i)
            for k, (name, handle, count) in enumerate(self.handles):
                self.status(k, i)
                fired = 0
                try:
                    for text in texts:
                        result, state = core.assert_fact(handle, text)
                        if result == 1:          # matched no rule (F4): nothing fired
                            continue
                        if result != 0:          # 2: "already observed" (F2) is never "skip"
                            raise EngineError(f"durable_rules 在规则集「{name}」中拒绝了第{i + 1}个事实（结果码{result}）")
                        action = core.start_action_for_state(handle, state)
                        while action:
                            messages = action[1] if isinstance(action, tuple) else action
                            begin = messages.index('"') + 1
                            hits.append(i)
                            hits.append(int(messages[begin + 1:messages.index('"', begin)]))
                            fired += 1
                            if fired > count:
                                raise EngineError(f"durable_rules 在规则集「{name}」中反复触发同一批规则（疑似死循环）")
                            action = core.complete_and_start_action(handle, state)
                    if not fired:
                        raise EngineError(f"durable_rules 规则集「{name}」未处理第{i + 1}个事实（连兜底规则都未触发）")
                    core.delete_state(handle, sid)
                except core.error as exc:
                    raise EngineError(f"durable_rules 在规则集「{name}」中出错：{_hint(exc)}") from None
        return hits.tobytes()

    def close(self) -> None:
        for _, handle, _ in self.handles:
            try:
                self.core.delete_ruleset(handle)
            except Exception:  # noqa: BLE001 - the process ends anyway
                pass


def _hint(exc: Exception) -> str:
    text = str(exc)
    code = text.rsplit(" ", 1)[-1]
    return text + _CORE_HINTS.get(code, "")


# ---------------------------------------------------------------- the worker process (parent side)


def main(argv: list[str] | None = None) -> int:
    """The worker process: serve requests until the parent closes stdin."""
    argv = sys.argv[1:] if argv is None else argv
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    with open(argv[0], "r+b") as handle:
        status_map = mmap.mmap(handle.fileno(), STATUS.size)

    def status(ruleset: int, candidate: int) -> None:
        STATUS.pack_into(status_map, 0, ruleset, candidate)

    try:  # loaded while the parent is still busy (a process may be started ahead, see spawn.py)
        import durable  # noqa: F401
        import durable_rules_engine  # noqa: F401
    except ImportError:
        pass  # said to the parent in reply to its first request (DurableHost imports it again)
    host = None
    try:
        while True:
            request = receive(requests)
            if request is None:  # the parent is done and waits for this process to end:
                replies.close()  # end it at once (what is left to free dies with the process)
                sys.stderr.flush()
                os._exit(0)
            if request[0] == "init":
                host = DurableHost(request[1], status)
                send(replies, ("ok",))
            elif request[0] == "batch":
                status(-1, -1)
                send(replies, ("ok", host.run(request[1], request[2])))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises EngineError
        message = getattr(exc, "message", None) or f"durable_rules 引擎出错：{type(exc).__name__}: {exc}"
        if isinstance(exc, ImportError):
            message = f"无法加载 durable_rules（{exc}）；durable-rules 需要 CPython 3.10–3.12 和 C 编译器"
        send(replies, ("error", message))
        return 1
    finally:
        if host is not None:
            host.close()


if __name__ == "__main__":
    sys.exit(main())
