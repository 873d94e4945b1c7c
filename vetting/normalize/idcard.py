"""Citizen ID numbers (GB 11643-1999): vectorised normalisation, check character, birth date, sex."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vetting.normalize.text import apply_where, arrow_text, to_series

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK_CHARS = "10X98765432"

EXCEL_PROBLEM = "身份证号被Excel存为数值，末位已丢失，无法核验"
NONDIGIT_PROBLEM = "含有非数字字符"
UPGRADED_NOTE = "15位旧号码已升级为18位"
HMT_NOTE = "港澳台居民居住证号码（地址码81/82/83）"

_JUNK = r"[\s\p{Z}\-‐‑‒–—―_'‘’`]+"
_EXCEL = r"^\d+(\.\d+)?E[+-]?\d+$|^\d+\.0*$"
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_LAST_NS_DAY = np.datetime64("2262-04-11")
_CHECK_BYTES = np.frombuffer(CHECK_CHARS.encode(), np.uint8)


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number.

    The 18th character of a GB 11643-1999 number; a mismatch means a typing error.
    """
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"需要17位数字，实为：{first17!r}")
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def upgrade_15(id15: str) -> str:
    """Upgrade a 15-digit legacy number to 18: insert "19" after the address code, add the check char.

    Old 1989-format numbers are still found in rosters; the upgraded form is what agencies hold.
    """
    if len(id15) != 15 or not (id15.isascii() and id15.isdigit()):
        raise ValueError(f"需要15位数字，实为：{id15!r}")
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + check_char(first17)


def _clean(s: pd.Series) -> pa.Array:
    """NFKC text with spaces, dashes and quotes removed and x upper-cased (only rows that need it)."""
    text = arrow_text(s)
    text = apply_where(text, pc.invert(pc.ascii_is_alnum(text)),
                       lambda a: pc.replace_substring_regex(a, _JUNK, ""))
    return pc.ascii_upper(text)


def _byte_matrix(text: pa.Array, blen: np.ndarray) -> np.ndarray:
    """The texts as a writable (n, 18) uint8 matrix: 18-byte texts as is, 15-byte ones left-aligned."""
    n = len(text)
    fixed = pc.cast(pc.if_else(pa.array(blen == 18), text, "0" * 18), pa.binary(18))
    raw = np.frombuffer(fixed.buffers()[1], np.uint8, count=n * 18, offset=fixed.offset * 18)
    raw = raw.reshape(n, 18).copy()
    short = blen == 15
    if short.any():
        sub = pc.cast(text.filter(pa.array(short)), pa.binary(15))
        raw[short, :15] = np.frombuffer(sub.buffers()[1], np.uint8, count=len(sub) * 15,
                                        offset=sub.offset * 15).reshape(-1, 15)
    return raw


def _birth_days(d17: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encoded birth dates as datetime64[D] and whether each is a real, representable date."""
    d = d17.astype(np.int64)
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    m0 = np.clip(month, 1, 12) - 1
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS_IN_MONTH[m0] + ((m0 == 1) & leap)
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    days = _days_from_civil(year, m0 + 1, np.clip(day, 1, 31)).astype("M8[D]")
    return days, real & (days <= _LAST_NS_DAY)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm; numpy's is slow)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _scatter(n: int, idx: np.ndarray, values: pa.Array) -> pa.Array:
    """A length-n array holding ``values`` at positions ``idx`` and null elsewhere."""
    pos = np.full(n, -1, np.int64)
    pos[idx] = np.arange(len(idx))
    return values.take(pa.array(pos, mask=pos < 0))


def _first(cases: list[tuple[np.ndarray, object]]) -> pa.Array:
    """Per row, the text of the first case whose condition holds (texts: scalars or arrays)."""
    conds = pa.StructArray.from_arrays([pa.array(c) for c, _ in cases], [str(i) for i in range(len(cases))])
    return pc.case_when(conds, *[v if isinstance(v, pa.Array) else pa.scalar(v, pa.string())
                                 for _, v in cases])


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False)


def _problems(text: pa.Array, number: pa.Array, expected: pa.Array, flags: dict) -> pa.Array:
    """The problem text for each (invalid) row; the first failed test wins."""
    excel = _matches(text, _EXCEL)
    digits = _matches(text, r"^(\d*|\d{16,}X)$")
    join = pc.binary_join_element_wise
    return _first([
        (excel, EXCEL_PROBLEM),
        (~digits, NONDIGIT_PROBLEM),
        (~flags["shaped"], join("位数不对：应为18位，实为", pc.cast(pc.utf8_length(text), pa.string()), "位", "")),
        (~flags["real"], "出生日期码不是有效日期"),
        (flags["early"], "出生日期码早于1900年"),
        (~flags["check_ok"], join("校验码错误：应为", expected, "，实为", pc.utf8_slice_codeunits(text, 17, 18), "")),
    ])


def parse_id_numbers(s: pd.Series) -> pd.DataFrame:
    """Normalise and validate ID numbers: id_number, id_status, id_problem, id_note, id_birth_date, id_sex.

    The ID is the key that links a candidate to the agencies' records, and the source of the
    birth date and sex; a number is only "valid" if its length, digits, birth date (a real
    date, 1900 or later) and check character are right. Full-width digits, spaces, dashes and a
    lower-case x are normalised; 15-digit legacy numbers are upgraded. Numbers that went through
    Excel as a float are rejected, never repaired. ``id_number`` holds the normalised 18-char
    text whenever the number has the right shape (even if its date or check char is wrong).
    """
    n = len(s)
    text = _clean(s)
    blen = pc.fill_null(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)
    raw = _byte_matrix(text, blen)
    digit = (raw >= 48) & (raw <= 57)
    is18 = (blen == 18) & digit[:, :17].all(axis=1) & (digit[:, 17] | (raw[:, 17] == 88))
    is15 = (blen == 15) & digit[:, :15].all(axis=1)
    shaped = is18 | is15

    d17 = raw[:, :17] - 48
    if is15.any():
        century = np.broadcast_to([1, 9], (is15.sum(), 2))
        d17[is15] = np.column_stack([d17[is15, :6], century, d17[is15, 6:15]])
        raw[is15, :17] = d17[is15] + 48
    check = (d17.astype(np.float32) @ WEIGHTS.astype(np.float32)).astype(np.int64) % 11
    check_ok = is15 | (raw[:, 17] == _CHECK_BYTES[check])
    raw[is15, 17] = _CHECK_BYTES[check[is15]]
    days, real = _birth_days(d17)
    early = real & (days < np.datetime64("1900-01-01"))
    valid = shaped & real & ~early & check_ok
    blank = blen == 0

    validity = pa.py_buffer(np.packbits(shaped, bitorder="little"))
    number = pa.Array.from_buffers(pa.binary(18), n, [validity, pa.py_buffer(raw)])
    number = number.cast(pa.binary()).cast(pa.string())

    bad = np.flatnonzero(~valid & ~blank)
    sub = pa.array(bad)
    expected = pa.array(list(CHECK_CHARS), pa.string()).take(pa.array(check[bad]))
    flags = {"shaped": shaped[bad], "real": real[bad], "early": early[bad], "check_ok": check_ok[bad]}
    problem = _scatter(n, bad, _problems(text.take(sub), number.take(sub), expected, flags))

    hmt = valid & np.isin(d17[:, :2].astype(np.int64) @ [10, 1], [81, 82, 83])
    noted = np.flatnonzero(valid & (is15 | hmt))
    notes = [(is15[noted] & hmt[noted], UPGRADED_NOTE + "；" + HMT_NOTE),
             (is15[noted], UPGRADED_NOTE), (hmt[noted], HMT_NOTE)]
    note = _scatter(n, noted, _first(notes))

    status = pa.array(["valid", "blank", "invalid"], pa.string()).take(
        pa.array(np.where(valid, 0, np.where(blank, 1, 2))))
    sex = pa.array(["女", "男"], pa.string()).take(pa.array(d17[:, 16] % 2, mask=~valid))
    birth = np.where(valid, days, np.datetime64("NaT")).astype("M8[ns]")
    return pd.DataFrame({
        "id_number": to_series(number, s.index),
        "id_status": to_series(status, s.index),
        "id_problem": to_series(problem, s.index),
        "id_note": to_series(note, s.index),
        "id_birth_date": pd.Series(birth, index=s.index),
        "id_sex": to_series(sex, s.index),
    }, index=s.index)
