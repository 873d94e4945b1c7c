"""Messages between the parent and a durable_rules worker process: length-prefixed pickles on the
child's stdin/stdout (both ends are this tool), and the status record the child keeps in a file.

Requests: ("init", rulesets) -> ("ok",); ("batch", start, facts) -> ("ok", hits as int32 pairs);
any failure -> ("error", Chinese message).
"""

from __future__ import annotations

import pickle
import struct
from typing import Any, BinaryIO

_FRAME = struct.Struct("<Q")
#: (ruleset index, candidate index) being evaluated, written before every assertion.
STATUS = struct.Struct("<ii")


def send(stream: BinaryIO, message: Any) -> None:
    """Write one message and flush."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    """Read one message, or None at the end of the stream (or a truncated one)."""
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None
