"""Child-process entry for the durable_rules engine (started by vetting.engine.durable.Worker).

    python -c "... from vetting.engine.durable_worker import main; main([STATUS_FILE])"

Requests arrive on stdin and replies leave on the original stdout, each a length-prefixed pickle
between two processes of this tool: ("init", rulesets) -> ("ok",); ("batch", start, facts) ->
("ok", [(candidate index, durable rule id), ...]); any failure -> ("error", Chinese message).
Before every assertion the worker writes (ruleset index, candidate index) into STATUS_FILE
(memory-mapped), so that if durable_rules' C core kills the process the parent can name the
ruleset and the candidate. Anything else written to stdout (e.g. by C code) goes to stderr.

Test-only: VETTING_DURABLE_CRASH=segv|abort[:N] kills this process when the batch holding candidate
index N (default 0) arrives.
"""

from __future__ import annotations

import mmap
import os
import signal
import sys


def _crash(spec: str | None, start: int, count: int) -> None:
    if not spec:
        return
    kind, _, which = spec.partition(":")
    if not start <= int(which or 0) < start + count:
        return
    if kind == "abort":
        os.abort()
    if kind == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from vetting.engine.durable import STATUS, DurableHost, receive, send

    with open(argv[0], "r+b") as handle:
        status_map = mmap.mmap(handle.fileno(), STATUS.size)

    def status(ruleset: int, candidate: int) -> None:
        STATUS.pack_into(status_map, 0, ruleset, candidate)

    host = None
    crash = os.environ.get("VETTING_DURABLE_CRASH")
    try:
        while True:
            request = receive(requests)
            if request is None:
                return 0
            if request[0] == "init":
                host = DurableHost(request[1], status)
                send(replies, ("ok",))
            elif request[0] == "batch":
                status(-1, -1)
                _crash(crash, request[1], len(request[2]))
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
