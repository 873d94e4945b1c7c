"""Built-in data checks (V-codes): problems in the input itself, always `review`, never a verdict on the person."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataCheck:
    code: str
    name: str
    basis: str


DATA_CHECKS = {
    "V01": DataCheck("V01", "公民身份号码无效或无法核验",
                     "GB 11643-1999《公民身份号码》（校验码ISO 7064 MOD 11-2）；《居民身份证法》第三条"),
    "V02": DataCheck("V02", "出生日期与公民身份号码不一致",
                     "GB 11643-1999《公民身份号码》出生日期码；年龄按选举日计算"),
    "V03": DataCheck("V03", "性别与公民身份号码不一致", "GB 11643-1999《公民身份号码》顺序码（奇数为男，偶数为女）"),
    "V04": DataCheck("V04", "缺少必填项", "规则集 required_fields：资格审查所需的基本信息"),
    "V05": DataCheck("V05", "数据无法识别", "资格审查须依据可核实的信息；无法识别的数据须人工核实"),
}
