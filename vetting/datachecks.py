"""Built-in checks on the evidence itself: data problems (V-codes) and joint-review gaps (J-codes).

They never judge the person: data problems are `review`, an agency that has not answered is `pending`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataCheck:
    code: str
    name: str
    basis: str
    severity: str = "review"


#: The public document behind the joint review itself, cited by checks on the evidence.
JOINT_REVIEW = "中共中央、国务院《关于加强基层治理体系和治理能力现代化建设的意见》（2021年）：资格联审"

DATA_CHECKS = {
    "V01": DataCheck("V01", "公民身份号码无效或无法核验",
                     "GB 11643-1999《公民身份号码》（校验码ISO 7064 MOD 11-2）；《居民身份证法》第三条"),
    "V02": DataCheck("V02", "出生日期与公民身份号码不一致",
                     "GB 11643-1999《公民身份号码》出生日期码；年龄按选举日计算"),
    "V03": DataCheck("V03", "性别与公民身份号码不一致", "GB 11643-1999《公民身份号码》顺序码（奇数为男，偶数为女）"),
    "V04": DataCheck("V04", "缺少必填项", f"{JOINT_REVIEW}；审查所需的基本信息须齐全"),
    "V05": DataCheck("V05", "数据无法识别", f"{JOINT_REVIEW}；无法识别的数据须人工核实"),
    "V06": DataCheck("V06", "日期晚于审查基准日或早于出生日期",
                     f"{JOINT_REVIEW}；处分、判决、拘留、入党等事实须发生在本人出生之后、审查基准日之前，"
                     "不合常理的日期须人工核实，不能据以认定“已过期限”"),
    "V07": DataCheck("V07", "公民身份号码为港澳台居民居住证号码",
                     "《港澳台居民居住证申领发放办法》（国办发〔2018〕81号）第三条（香港、澳门、台湾居民公民身份号码"
                     "地址码分别使用810000、820000、830000）；《中华人民共和国村民委员会组织法》（2018年修正）第十三条"
                     "（参加选举的村民登记）"),
    "J01": DataCheck("J01", "联审部门尚未反馈", f"{JOINT_REVIEW}；未反馈的不视为通过",
                     "pending"),
    "J02": DataCheck("J02", "联审意见无法自动识别", f"{JOINT_REVIEW}；无法自动识别的联审意见须人工研判"),
    "J03": DataCheck("J03", "回复记录姓名与花名册不一致", f"{JOINT_REVIEW}；以公民身份号码比对，姓名不一致须核实是否同一人"),
    "J04": DataCheck("J04", "仅凭姓名匹配", f"{JOINT_REVIEW}；仅凭姓名比对的结果须人工核实，不得据此取消资格"),
}

#: J01 findings are named after the agency that owes the answer ("检察院尚未反馈"), so that
#: reports can say whom to chase.
AGENCY_SILENT = "尚未反馈"
#: What a J01 finding adds after "…尚未反馈联审意见" when rules wait only on that agency's answer
#: (vetting.engine.owed): "；待其意见判定：C01 受过刑事处罚、…".
WAITING_LEAD = "；待其意见判定："
