"""Synthetic candidate rosters for benchmarking `vet run`.

    python bench/generate.py 100000 1000000      # writes bench/out/roster_<n>.csv (UTF-8 with BOM)
    python bench/generate.py 100000 --shapes abc # also roster_b_<n>.csv and roster_c_<n>.xlsx

`generate_roster(n, seed)` returns a DataFrame with the same headers as fixtures/demo_roster.csv
(string columns in pandas' `str` dtype, as `pd.read_csv(..., dtype=str)` gives them);
`generate(n, seed)` also returns the ground truth per row (`case`, `id_valid`, `expected_verdict`
under the national ruleset on 2026-12-15). Everything is vectorised: columns are integer codes
into small category lists, ID check characters are computed with numpy, and strings are only
materialised at the end through pyarrow, so a million rows take about two seconds.
The output depends only on (n, seed).

Distribution (per row, mutually exclusive, drawn once):
  ~95 %  clean: every fact column 无/否, assessments 优秀/称职/基本称职
  ~3 %   one injected finding (rule code in `truth.case`), dates well inside the look-back window
  ~1 %   an invalid ID number (wrong check char, wrong length, impossible date, Excel "5.1E+17")
  ~1 %   one blank fact cell (the agency has not answered -> pending)
Villages ~ n/12 distinct, townships ~ n/300 distinct; rows are ordered by township and village.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

AS_OF = np.datetime64("2026-12-15", "D")
OUT_DIR = Path(__file__).resolve().parent / "out"

#: Same columns, same order as fixtures/demo_roster.csv (written by fixtures/make_demo.py).
COLUMNS = (Path(__file__).resolve().parents[1] / "fixtures" / "demo_roster.csv").read_text(
    encoding="utf-8-sig").splitlines()[0].split(",")

#: Fact columns an agency answers (blank = not answered). Clean value per column.
FACT_CLEAN = {
    "刑事处罚": "无", "被剥夺政治权利": "否", "党纪处分": "无", "政务处分": "无",
    "正在接受审查调查": "否", "涉黑涉恶(村霸)": "否", "涉邪教或非法宗教活动": "否",
    "拉票贿选或破坏选举": "否", "丧失行为能力": "否", "失信被执行人": "否", "行政拘留": "否",
    "非正常上访或聚众闹事": "否", "长期外出不能正常履职": "否", "违法用地建房未整改": "否",
    "侵占集体资金资产未整改": "否", "评定为不合格党员": "否",
}
#: Detail columns: blank unless the fact they belong to is present.
DETAIL_COLUMNS = ["刑事处罚日期", "党纪处分日期", "留党察看期限(月)", "政务处分日期",
                  "行政拘留日期", "行政拘留事由", "上访处理日期"]

# GB 11643-1999 / ISO 7064 MOD 11-2.
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_ASCII = np.frombuffer(b"10X98765432", dtype=np.uint8)

#: Real-looking county address codes (GB/T 2260): Luzhou (Sichuan), Yanchi/Wuzhong (Ningxia), others.
ADDRESS_CODES = [
    "510502", "510503", "510504", "510521", "510522", "510524", "510525",   # 泸州
    "510112", "510113", "510115", "510121", "510129", "510131", "510181",   # 成都
    "640302", "640303", "640323", "640324", "640381",                       # 吴忠/盐池
    "511321", "511322", "511323", "511324", "511325",                       # 南充
    "520281", "520322", "520323", "500229", "500230", "500231",             # 贵州/重庆
]

ROLES = ["书记兼主任", "党组织书记", "村委会主任", "党组织委员", "村委会委员", "两委后备人选"]
ROLE_P = [0.07, 0.02, 0.02, 0.22, 0.37, 0.30]
PARTY_ROLES = {"书记兼主任", "党组织书记", "党组织委员"}
POLITICAL_NONPARTY = ["中共党员", "群众", "共青团员", "民主党派", "无党派人士"]
POLITICAL_NONPARTY_P = [0.45, 0.40, 0.12, 0.01, 0.02]
EDUCATION = ["小学", "初中", "高中", "中专", "大专", "本科", "研究生"]
EDUCATION_P = [0.03, 0.25, 0.25, 0.10, 0.22, 0.14, 0.01]
ETHNICITY = ["汉族", "回族", "苗族", "彝族", "土家族", "藏族"]
ETHNICITY_P = [0.90, 0.03, 0.03, 0.02, 0.015, 0.005]
ASSESSMENT = ["称职", "优秀", "基本称职"]
ASSESSMENT_P = [0.80, 0.15, 0.05]

SURNAMES = list(dict.fromkeys("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范廖石"))  # noqa: E501 - character data
GIVEN = list(dict.fromkeys("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志德福永春燕海林云飞东文斌宇浩晓雪梅丹萍琴鹏辉斌成宏波"))  # noqa: E501 - character data
PLACE_CHARS = list(dict.fromkeys("平丰红岩高峰双沙太和龙泉石桥新民富兴安乐清水金竹青山长岭白马东河西坝南溪北坪花园凤凰黄荆柏杨大田星火"))  # noqa: E501 - character data

#: Injected findings (~3 % of rows): rule code -> relative weight.
FINDINGS = {
    "A01": 3, "A02": 1, "A03": 1, "A04": 8, "C01": 8, "C02": 2, "C03": 2, "C04": 1, "C05": 8,
    "D01": 10, "D02": 4, "D03": 6, "D04": 4, "E01": 3,
    "S01": 12, "S02": 6, "S03": 8, "S04": 6, "S05": 2, "S06": 4,
    "V02": 4, "V03": 3, "V05": 2,
}
#: What each injected finding should produce under the national ruleset.
FINDING_VERDICT = {code: ("review" if code in ("C02", "V02", "V03", "V05") else
                          "unsuitable" if code[0] == "S" or code == "C05" else "disqualified")
                   for code in FINDINGS}

P_FINDING, P_INVALID_ID, P_BLANK = 0.03, 0.01, 0.01


# ----------------------------------------------------------------------------- helpers

class _Column:
    """A string column held as int codes into a list of categories, so that whole-column work is
    integer work; materialised once at the end as a pyarrow-backed `str` array (what
    `pd.read_csv(..., dtype=str)` gives), without creating a million Python strings."""

    def __init__(self, n: int, categories: list[str], codes: np.ndarray | None = None) -> None:
        self.categories = list(categories)
        self._index = {c: i for i, c in enumerate(self.categories)}
        self.codes = np.zeros(n, dtype=np.int32) if codes is None else codes.astype(np.int32)

    def code(self, value: str) -> int:
        if value not in self._index:
            self._index[value] = len(self.categories)
            self.categories.append(value)
        return self._index[value]

    def set(self, rows: np.ndarray, values) -> None:
        """Set rows to one value (str) or to one value per row (sequence of str)."""
        if isinstance(values, str):
            self.codes[rows] = self.code(values)
        else:
            self.codes[rows] = np.array([self.code(v) for v in values], dtype=np.int32)

    def is_(self, value: str) -> np.ndarray:
        return self.codes == self._index[value] if value in self._index else np.zeros(len(self.codes), bool)

    def to_arrow(self) -> pa.Array:
        dictionary = pa.array(self.categories, type=pa.large_string())
        return dictionary.take(pa.array(self.codes))

    def to_pandas(self) -> pd.api.extensions.ExtensionArray:
        return _str_array(self.to_arrow())


def _str_array(arr: pa.Array) -> pd.api.extensions.ExtensionArray:
    """A pyarrow string array as pandas' default `str` dtype (no per-row Python objects)."""
    return pd.array(arr.cast(pa.large_string()), dtype="str")


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative ints -> (n, width) uint8 ASCII digits, zero-padded."""
    values = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


def id_check_ascii(first17: np.ndarray) -> np.ndarray:
    """(n, 17) uint8 ASCII digits -> (n,) uint8 ASCII check characters ('0'-'9' or 'X')."""
    s = (first17.astype(np.int64) - 48) @ ID_WEIGHTS
    return ID_CHECK_ASCII[s % 11]


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """datetime64[D] -> (year, month, day) int arrays."""
    y = days.astype("datetime64[Y]")
    m = days.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    day = (days - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


#: 'YYYY.MM' texts (the roster's month-precision style) as categories, indexed by months since 1900-01.
MONTH_TEXTS = [f"{1900 + i // 12}.{i % 12 + 1:02d}" for i in range(12 * 130)]


def _month_codes(days: np.ndarray) -> np.ndarray:
    """datetime64[D] -> index into MONTH_TEXTS."""
    return (days.astype("datetime64[M]").astype(np.int64) + (70 * 12)).astype(np.int32)


def _date_texts(days: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Small subsets only: dates in the three styles offices use (年月日 / YYYY.MM / ISO)."""
    year, month, day = _ymd(days)
    style = rng.integers(0, 3, len(days))
    out = []
    for y, m, d, s in zip(year.tolist(), month.tolist(), day.tolist(), style.tolist()):
        out.append(f"{y}年{m}月{d}日" if s == 0 else f"{y}.{m:02d}" if s == 1 else f"{y}-{m:02d}-{d:02d}")
    return out


def _place_names(count: int, suffixes: list[str], rng: np.random.Generator) -> list[str]:
    """`count` distinct place names: mixed-radix digits over PLACE_CHARS (shuffled) plus a suffix.
    The stem alone is already unique; stems have two characters until those run out."""
    pool = np.array(PLACE_CHARS, dtype=object)[rng.permutation(len(PLACE_CHARS))]
    base = len(pool)
    k = np.arange(count, dtype=np.int64)
    name = pool[k % base] + pool[(k // base + k + 1) % base]
    span = base * base
    while count > span:
        name = np.where(k >= span, name + pool[(k // span) % base], name)
        span *= base
    suffix = np.array(suffixes, dtype=object)[rng.integers(0, len(suffixes), count)]
    return (name + suffix).tolist()


def _months_back(rng: np.random.Generator, count: int, months: int) -> np.ndarray:
    """Day-precise dates safely inside an N-month window before AS_OF (>= 2 months margin),
    so even the month-only 'YYYY.MM' spelling cannot straddle the window end."""
    max_back = max(16, (months - 2) * 30)
    back = rng.integers(15, max_back, count)
    return AS_OF - back.astype("timedelta64[D]")


def _choice(rng: np.random.Generator, k: int, n: int, p: list[float]) -> np.ndarray:
    return rng.choice(k, n, p=np.asarray(p) / np.sum(p)).astype(np.int32)


# ----------------------------------------------------------------------------- generator

def generate(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The roster and its ground truth (`case`, `id_valid`, `expected_verdict`), row-aligned."""
    if n < 1:
        raise ValueError("n must be >= 1")
    rng = np.random.default_rng(seed)

    # --- places: villages ~ n/12, townships ~ n/300, contiguous blocks, sorted roster
    n_towns = max(1, round(n / 300))
    n_villages = max(n_towns, round(n / 12))
    town_names = _place_names(n_towns, ["镇", "镇", "镇", "乡", "街道"], rng)
    village_names = _place_names(n_villages, ["村", "村", "村", "村", "社区"], rng)
    village = np.sort(rng.integers(0, n_villages, n))
    town = village * n_towns // n_villages

    # --- category per row, mutually exclusive: clean / invalid ID / blank fact / one finding
    u = rng.random(n)
    is_finding = u < P_FINDING
    is_invalid = (u >= P_FINDING) & (u < P_FINDING + P_INVALID_ID)
    is_blank = (u >= P_FINDING + P_INVALID_ID) & (u < P_FINDING + P_INVALID_ID + P_BLANK)
    labels = ["clean", "V01", "pending"] + list(FINDINGS)
    case_idx = np.zeros(n, dtype=np.int8)
    case_idx[is_finding] = 3 + _choice(rng, len(FINDINGS), int(is_finding.sum()), list(FINDINGS.values()))
    case_idx[is_invalid] = 1
    case_idx[is_blank] = 2

    def rows(code: str) -> np.ndarray:
        return np.flatnonzero(case_idx == labels.index(code))

    # --- role, sex, birth date, 政治面貌
    role = _Column(n, ROLES, _choice(rng, len(ROLES), n, ROLE_P))
    male = rng.random(n) < 0.66
    reserve = role.is_("两委后备人选")
    age_years = np.where(reserve, rng.uniform(19, 40, n), rng.uniform(25, 63, n))
    birth = AS_OF - (age_years * 365.2425).astype(np.int64).astype("timedelta64[D]")
    a01 = rows("A01")                                   # 17 years old: 18th birthday after AS_OF
    role.set(a01, "两委后备人选")
    birth[a01] = AS_OF - (rng.integers(1, 364, len(a01)) + 17 * 365 + 5).astype("timedelta64[D]")

    political = _Column(n, POLITICAL_NONPARTY, _choice(rng, len(POLITICAL_NONPARTY), n, POLITICAL_NONPARTY_P))
    party_role = np.isin(role.codes, [role.code(r) for r in PARTY_ROLES])
    political.set(np.flatnonzero(party_role), "中共党员")
    young = reserve & (age_years < 28) & political.is_("中共党员") & (rng.random(n) < 0.5)
    political.set(np.flatnonzero(young), "共青团员")
    political.set(a01, "共青团员")
    a04 = rows("A04")                                   # probationary member proposed for a party post
    role.set(a04, np.array(["党组织书记", "党组织委员", "书记兼主任"])[rng.integers(0, 3, len(a04))])
    political.set(a04, "中共预备党员")

    # --- ID numbers: address + birth date + sequence (parity = sex) + MOD 11-2 check char
    addr_digits = np.frombuffer("".join(ADDRESS_CODES).encode(), dtype=np.uint8).reshape(-1, 6)
    year, month, day = _ymd(birth)
    seq = 2 * rng.integers(0, 499, n) + np.where(male, 1, 2)
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, 0:6] = addr_digits[rng.integers(0, len(ADDRESS_CODES), n)]
    chars[:, 6:14] = _digits(year * 10000 + month * 100 + day, 8)
    chars[:, 14:17] = _digits(seq, 3)

    invalid = np.flatnonzero(is_invalid)
    kind = _choice(rng, 4, len(invalid), [0.6, 0.1, 0.15, 0.15])
    bad_date = invalid[kind == 2]                       # month 13: impossible date, correct check char
    chars[bad_date, 10:12] = _digits(np.full(len(bad_date), 13), 2)
    chars[:, 17] = id_check_ascii(chars[:, :17])
    wrong = invalid[kind == 0]                          # wrong check character
    chars[wrong, 17] = np.where(chars[wrong, 17] == ord("0"), ord("1"), ord("0"))
    id_bytes = np.ascontiguousarray(chars).view("S18").ravel()
    odd = np.sort(np.concatenate([invalid[kind == 1], invalid[kind == 3]]))
    odd_text = []
    for i, k in zip(odd.tolist(), kind[np.searchsorted(invalid, odd)].tolist()):
        s = id_bytes[i].decode()
        # kind 1: a digit dropped (17 characters); kind 3: Excel exported the ID as a number
        odd_text.append(s[:10] + s[11:] if k == 1 else f"{int(s[:17]) * 10:.5E}")
    id_arr = pa.array(id_bytes).cast(pa.large_string())
    if len(odd):
        mask = np.zeros(n, dtype=bool)
        mask[odd] = True
        id_arr = pc.replace_with_mask(id_arr, pa.array(mask), pa.array(odd_text, type=pa.large_string()))

    # --- other personal columns
    birth_month = _Column(n, MONTH_TEXTS, _month_codes(birth))
    sex = _Column(n, ["男", "女"], np.where(male, 0, 1))
    surname = np.minimum(rng.geometric(0.06, n) - 1, len(SURNAMES) - 1)
    given1 = rng.integers(0, len(GIVEN), n)
    given2 = np.where(rng.random(n) < 0.7, rng.integers(0, len(GIVEN), n), len(GIVEN))
    name = pc.binary_join_element_wise(
        _Column(n, SURNAMES, surname).to_arrow(),
        _Column(n, GIVEN, given1).to_arrow(),
        _Column(n, GIVEN + [""], given2).to_arrow(),
        pa.scalar("", type=pa.large_string()))
    ethnicity = _Column(n, ETHNICITY, _choice(rng, len(ETHNICITY), n, ETHNICITY_P))
    education = _Column(n, EDUCATION, _choice(rng, len(EDUCATION), n, EDUCATION_P))
    age_days = (AS_OF - birth).astype(np.int64)
    join_span = np.maximum(age_days - 60 - 19 * 365, 0)           # joined between 19 and now-2 months
    join_days = 19 * 365 + (rng.random(n) * join_span).astype(np.int64)
    probation_join = age_days - rng.integers(30, 300, n)     # 预备党员 joined within the year
    last = _Column(n, ASSESSMENT, _choice(rng, 3, n, ASSESSMENT_P))
    prev = _Column(n, ASSESSMENT, _choice(rng, 3, n, ASSESSMENT_P))

    cols = {c: _Column(n, [v]) for c, v in FACT_CLEAN.items()}
    cols.update({c: _Column(n, [""]) for c in DETAIL_COLUMNS})

    # --- inject findings (small subsets; dates well inside their windows)
    for code, column in [("A02", "被剥夺政治权利"), ("A03", "丧失行为能力"), ("C03", "涉黑涉恶(村霸)"),
                         ("C04", "涉邪教或非法宗教活动"), ("D04", "正在接受审查调查"),
                         ("E01", "拉票贿选或破坏选举"), ("S01", "失信被执行人"),
                         ("S03", "长期外出不能正常履职"), ("S04", "违法用地建房未整改"),
                         ("S05", "侵占集体资金资产未整改")]:
        cols[column].set(rows(code), "是")

    r = rows("C01")                                     # any punishment, no time limit
    punish = np.array(["有期徒刑", "拘役", "管制", "缓刑", "罚金"])
    cols["刑事处罚"].set(r, punish[_choice(rng, 5, len(r), [0.5, 0.15, 0.05, 0.2, 0.1])])
    cols["刑事处罚日期"].set(r, _date_texts(AS_OF - rng.integers(365, 30 * 365, len(r)).astype("timedelta64[D]"), rng))
    r = rows("C02")
    cols["刑事处罚"].set(r, "免予刑事处罚")
    cols["刑事处罚日期"].set(r, _date_texts(AS_OF - rng.integers(365, 15 * 365, len(r)).astype("timedelta64[D]"), rng))
    r = rows("C05")
    cols["行政拘留"].set(r, "是")
    cols["行政拘留日期"].set(r, _date_texts(_months_back(rng, len(r), 60), rng))
    cols["行政拘留事由"].set(r, np.array(["吸毒", "嫖娼", "扰乱公共秩序"])[_choice(rng, 3, len(r), [0.4, 0.3, 0.3])])

    r = rows("D01")
    party_kinds = np.array(["警告", "严重警告", "撤销党内职务", "开除党籍"])
    party_months = np.array([12, 18, 24, 60])
    k = _choice(rng, 4, len(r), [0.45, 0.35, 0.12, 0.08])
    cols["党纪处分"].set(r, party_kinds[k])
    dates = np.empty(len(r), dtype="datetime64[D]")
    for j, months in enumerate(party_months):
        dates[k == j] = _months_back(rng, int((k == j).sum()), int(months))
    cols["党纪处分日期"].set(r, _date_texts(dates, rng))
    political.set(r[k != 3], "中共党员")
    political.set(r[k == 3], "群众")                    # expelled: no longer a member, not a party post
    role.set(r[k == 3], "村委会委员")
    r = rows("D02")
    cols["党纪处分"].set(r, "留党察看")
    cols["留党察看期限(月)"].set(r, rng.choice(["12", "24"], len(r)))
    cols["党纪处分日期"].set(r, _date_texts(_months_back(rng, len(r), 36), rng))
    political.set(r, "中共党员")
    role.set(r, "村委会委员")
    r = rows("D03")
    gov_kinds = np.array(["警告", "记过", "记大过", "降级", "撤职", "开除"])
    gov_months = np.array([6, 12, 18, 24, 24, 120])
    k = _choice(rng, 6, len(r), [0.3, 0.3, 0.2, 0.08, 0.07, 0.05])
    cols["政务处分"].set(r, gov_kinds[k])
    dates = np.empty(len(r), dtype="datetime64[D]")
    for j, months in enumerate(gov_months):
        dates[k == j] = _months_back(rng, int((k == j).sum()), int(months))
    cols["政务处分日期"].set(r, _date_texts(dates, rng))
    r = rows("S02")
    cols["非正常上访或聚众闹事"].set(r, "是")
    cols["上访处理日期"].set(r, _date_texts(_months_back(rng, len(r), 36), rng))
    r = rows("S06")
    last.set(r, "不称职")
    prev.set(r, "不称职")

    r = rows("V02")                                     # stated 出生年月 two months off the ID's
    birth_month.codes[r] += 2
    r = rows("V03")                                     # stated 性别 contradicts the ID's 17th digit
    sex.codes[r] = 1 - sex.codes[r]
    r = rows("V05")
    education.set(r, np.array(["不详xx", "？", "待查"])[rng.integers(0, 3, len(r))])

    # --- 入党时间 from the final 政治面貌 (blank for non-members)
    is_member = political.is_("中共党员") | political.is_("中共预备党员")
    join_days = np.where(political.is_("中共预备党员"), probation_join, join_days)
    joined_codes = _month_codes(birth + join_days.astype("timedelta64[D]"))
    joined = _Column(n, MONTH_TEXTS + [""], np.where(is_member, joined_codes, len(MONTH_TEXTS)))

    # --- blank fact cells (~1 %): one agency has not answered
    b = np.flatnonzero(is_blank)
    fact_names = list(FACT_CLEAN)
    which = rng.integers(0, len(fact_names), len(b))
    for j, column in enumerate(fact_names):
        cols[column].set(b[which == j], "")

    data = {
        "序号": np.arange(1, n + 1, dtype=np.int64),
        "乡镇(街道)": _Column(n, town_names, town).to_pandas(),
        "村(社区)": _Column(n, village_names, village).to_pandas(),
        "姓名": _str_array(name),
        "性别": sex.to_pandas(),
        "民族": ethnicity.to_pandas(),
        "出生年月": birth_month.to_pandas(),
        "公民身份号码": _str_array(id_arr),
        "政治面貌": political.to_pandas(),
        "入党时间": joined.to_pandas(),
        "文化程度": education.to_pandas(),
        "拟任职务": role.to_pandas(),
        **{c: col.to_pandas() for c, col in cols.items()},
        "最近一次考核": last.to_pandas(),
        "前一次考核": prev.to_pandas(),
    }
    df = pd.DataFrame({c: data[c] for c in COLUMNS})

    verdicts = np.array(["pass", "review", "pending"] + [FINDING_VERDICT[c] for c in FINDINGS], dtype=object)
    truth = pd.DataFrame({"case": np.array(labels, dtype=object)[case_idx],
                          "id_valid": ~is_invalid,
                          "expected_verdict": verdicts[case_idx]})
    return df, truth


def generate_roster(n: int, seed: int) -> pd.DataFrame:
    """A synthetic roster of n candidates; deterministic in (n, seed)."""
    return generate(n, seed)[0]


#: Shape (b), before replies: the personal columns, both assessments, and one opinion column per
#: agency of the national ruleset; no fact columns (the agencies have not answered yet).
PENDING_PERSONAL = ["序号", "乡镇(街道)", "村(社区)", "姓名", "性别", "民族", "出生年月", "公民身份号码",
                    "政治面貌", "入党时间", "文化程度", "拟任职务", "最近一次考核", "前一次考核"]
OPINION_COLUMNS = ["纪委监委意见", "公安机关意见", "人民法院意见", "人民检察院意见", "信访局意见",
                   "政法委意见", "统战部意见", "民政局意见", "自然资源局意见", "农业农村局意见"]
#: Opinion texts before replies: mostly blank or 未反馈, some answered clear, a few findings.
OPINION_TEXTS = ["", "未反馈", "经核查，无违法违纪记录", "无", "待核查", "2019年受到党内警告处分"]
OPINION_P = [0.62, 0.25, 0.08, 0.04, 0.009, 0.001]
#: Office-format header groups of shape (c): (group heading, columns under it).
TITLE = "XX县2026年村(社区)“两委”换届候选人初步人选资格联审表"
HEADER_GROUPS = [("基本情况", PENDING_PERSONAL), ("联审部门意见", OPINION_COLUMNS)]


def generate_pending(n: int, seed: int) -> pd.DataFrame:
    """Shape (b): the same people as `generate_roster(n, seed)` before the agencies have replied:
    24 columns, no fact cells, opinion columns mostly blank or 未反馈 (the normal state of a
    review); deterministic in (n, seed)."""
    base = generate_roster(n, seed)
    rng = np.random.default_rng(seed + 1)
    data = {c: base[c] for c in PENDING_PERSONAL}
    for column in OPINION_COLUMNS:
        data[column] = _Column(n, OPINION_TEXTS, _choice(rng, len(OPINION_TEXTS), n, OPINION_P)).to_pandas()
    return pd.DataFrame(data)


def write_office_xlsx(df: pd.DataFrame, path: Path) -> None:
    """Shape (c): `df` as offices send it round: a title row, a group row (基本情况 / 联审部门意见)
    above the column headings, every cell text. xlsxwriter in constant-memory mode writes rows
    as they come, so 100,000 rows take seconds, not minutes."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "align": "center"})
    sheet = book.add_worksheet("联审表")
    width = len(df.columns)
    sheet.merge_range(0, 0, 0, width - 1, TITLE, bold)
    start = 0
    for heading, columns in HEADER_GROUPS:
        sheet.merge_range(1, start, 1, start + len(columns) - 1, heading, bold)
        start += len(columns)
    for j, column in enumerate(df.columns):
        sheet.write_string(2, j, column, bold)
    columns = [df[c].astype("str").fillna("").tolist() for c in df.columns]
    for i, row in enumerate(zip(*columns)):
        for j, value in enumerate(row):
            if value:
                sheet.write_string(3 + i, j, value)
    book.close()
    tmp.replace(path)


#: Roster shapes: (a) fully answered, (b) before replies, (c) (b) as an office-format XLSX.
SHAPES = ("a", "b", "c")


def write_roster(df: pd.DataFrame, path: Path) -> None:
    """CSV as offices export it: UTF-8 with BOM, header on line 1."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8-sig")


def roster_path(n: int, shape: str = "a") -> Path:
    """Where the roster of `shape` and size `n` is kept (shape (a) keeps its old name)."""
    if shape == "a":
        return OUT_DIR / f"roster_{n}.csv"
    return OUT_DIR / (f"roster_b_{n}.csv" if shape == "b" else f"roster_c_{n}.xlsx")


def write_shape(n: int, seed: int, shape: str) -> Path:
    """Generate and write the roster of `shape` and size `n`; returns its path."""
    path = roster_path(n, shape)
    if shape == "a":
        write_roster(generate_roster(n, seed), path)
    elif shape == "b":
        write_roster(generate_pending(n, seed), path)
    else:
        write_office_xlsx(generate_pending(n, seed), path)
    return path


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python bench/generate.py N [N ...] [--seed S] [--shapes abc]", file=sys.stderr)
        return 2
    seed = 20261215
    if "--seed" in argv:
        i = argv.index("--seed")
        seed = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    shapes = ["a"]
    if "--shapes" in argv:
        i = argv.index("--shapes")
        shapes = list(argv[i + 1].replace(",", ""))
        argv = argv[:i] + argv[i + 2:]
    for arg in argv:
        n = int(arg.replace("_", ""))
        for shape in shapes:
            t0 = time.perf_counter()
            path = write_shape(n, seed, shape)
            print(f"n={n:,} shape {shape}: {time.perf_counter() - t0:.2f}s -> {path} "
                  f"({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
