"""A durable_rules worker that kills itself when a batch holding candidate index CRASH_AT arrives
(CRASH=segv|abort): tests point vetting.engine.durable.spawn.CHILD_ENTRY here to see how the
parent reports a crash of the C core. Test code only; production has no such hook."""

from __future__ import annotations

import os
import signal

from vetting.engine.durable import host


class _CrashingHost(host.DurableHost):
    def run(self, start, facts):
        if start <= int(os.environ.get("CRASH_AT", "0")) < start + len(facts):
            if os.environ.get("CRASH") == "abort":
                os.abort()
            os.kill(os.getpid(), signal.SIGSEGV)
        return super().run(start, facts)


def main(argv):
    host.DurableHost = _CrashingHost
    return host.main(argv)
