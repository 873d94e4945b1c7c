"""Keyed ID digests: the per-installation HMAC key file and the digests made with it.

ID numbers are never stored in clear. Each is kept masked (``510525********123X``) and as an
HMAC-SHA256 of its normalised text, to recognise the same person across runs. The key is a
random secret in a separate file beside the database (``<db>.key``, created 0600 on the first
recorded run), because a plain SHA-256 would be reversible: the masked form leaves only the 8
birth-date digits unknown, a few tens of thousands of guesses. The database file alone
therefore does not reveal the numbers; whoever holds both files can still test guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any, Callable

from vetting.errors import os_reason
from vetting.history.errors import HistoryError

#: Suffix of the key file beside the database: ``history.sqlite3`` -> ``history.sqlite3.key``.
KEY_SUFFIX = ".key"
#: Length of the random HMAC key in bytes (stored as hex text).
KEY_BYTES = 32


def key_path(db_path: str | os.PathLike) -> Path:
    """The HMAC key file of the database at `db_path`: the same name plus ``.key``, beside it
    (a separate file, so that handing over or leaking the database alone reveals no ID)."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + KEY_SUFFIX)


def read_key(path: Path) -> bytes | None:
    """The key stored at `path` (hex text), or None when the file does not exist. A file that
    is not a 64-digit hex key is an error rather than silently replaced: replacing it would
    stop every earlier run from matching by ID."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else "不是文本文件"
        raise HistoryError(f"无法读取审查记录密钥文件 {path}：{reason}") from exc
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise HistoryError(f"审查记录密钥文件 {path} 已损坏（应为{KEY_BYTES * 2}位十六进制字符）；"
                           "如无备份，可删除该文件，之后的记录将使用新密钥，但此前的记录将无法按身份证号比对")
    return key


def create_key(path: Path) -> bytes:
    """A new random key written to `path`, which must not exist: created exclusively with
    permissions 0600 (owner only) and flushed to disk before it is used."""
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except OSError as exc:
        raise HistoryError(f"无法创建审查记录密钥文件 {path}：{os_reason(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.hex().encode("ascii") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise HistoryError(f"无法写入审查记录密钥文件 {path}：{os_reason(exc)}") from exc
    return key


def key_fingerprint(key: bytes) -> str:
    """A short public name of `key` (an HMAC of a fixed label, not the key): stored with each
    run so that compare can tell whether two runs' ID digests are comparable."""
    return hmac.new(key, b"vetting history key id", hashlib.sha256).hexdigest()[:16]


def id_digest(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 hex of a normalised ID number under the installation's `key`: how one
    person is recognised across runs without keeping the number. Without the key the digest
    cannot be checked against guessed birth dates, unlike a plain hash of the number."""
    return id_digester(key)(id_number)


def id_digester(key: bytes) -> Callable[[str], str]:
    """`id_digest` with `key` bound, keyed once and copied per number (about 1.5 times as
    fast as keying HMAC anew for each of a province's candidates)."""
    keyed = hmac.new(key, digestmod=hashlib.sha256)

    def digest(id_number: str) -> str:
        h = keyed.copy()
        h.update(id_number.encode("utf-8"))
        return h.hexdigest()

    return digest


def normalise_id(value: Any) -> str | None:
    """The ID text used for the digest: stripped, upper-case X; None when blank."""
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None
