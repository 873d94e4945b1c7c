"""`vet` whose XLSX report is written slowly: once the workbook is in its temporary file, the
child says WRITING on stderr and waits, so that a test can send SIGTERM mid-write
(tests/test_output_transaction.py). Test code only; production has no such hook.

Run as: python tests/slow_write_child.py run ROSTER ... -o REPORT.xlsx
"""

from __future__ import annotations

import faulthandler
import sys
import time

from xlsxwriter import Workbook

from vetting.cli import main

_close = Workbook.close


def _slow_close(self):  # noqa: ANN001 - xlsxwriter's signature
    _close(self)
    faulthandler.dump_traceback_later(20)   # a child still alive 20 s on says where each thread is
    sys.stderr.write("WRITING\n")
    sys.stderr.flush()
    for _ in range(600):     # short sleeps: a signal taken by one of Arrow's native threads interrupts
        time.sleep(0.1)      # no sleep here, and Python runs its handler at the next bytecode


if __name__ == "__main__":
    Workbook.close = _slow_close
    sys.argv[0] = "vet"
    main()
