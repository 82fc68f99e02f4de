"""The rules of the round in plain Chinese, for the 说明 sheet and the report.

Contract: `policy_lines(result)` returns the lines that say which policy placed the round
(the two phases of the default, or the joint option), what the priority order (优先序) is,
how the lottery is drawn and recomputed with the run's seed, and this round's figures
against `stable` (平行志愿) — placed, at the first choice, adjusted, justified envy — and, for
a joint run, how many willing applicants gave up a choice place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcher.engine.result import RunResult
from matcher.engine.solve import get
from matcher.model import Mechanism

_FIGURES = (
    ("placed", "录取（含调剂）"),
    ("first_choice", "第一志愿录取"),
    ("adjusted", "调剂录取"),
    ("justified_envy", "合理嫉妒"),
)
_NAMES = {"policy": "本轮规则", "stable": "平行志愿（stable）", "two-phase": "两阶段默认规则"}


def _rules(mechanism: str, joint: bool) -> list[str]:
    if mechanism == Mechanism.STABLE.value:
        return [
            "录取规则（stable，平行志愿）：按优先序依次为每位申请人安排其最靠前的、培养单位和所在"
            "地区仍有名额的志愿；志愿录取结束后，再按优先序为同意调剂且专业对口者安排剩余名额。"
        ]
    if mechanism == Mechanism.IMMEDIATE.value:
        return [
            "录取规则（immediate，顺序志愿）：先按第一志愿录取，名额不足时按优先序；再依次处理第二、"
            "第三志愿，已录取者不再变动；最后为同意调剂且专业对口者安排剩余名额。"
        ]
    if mechanism not in (Mechanism.OPTIMAL.value, Mechanism.CPSAT.value):
        return [
            f"录取规则（{mechanism}，另行注册的匹配机制）：{get(mechanism).description}。"
            "其结果与内置机制一样经独立核验（接收名额、地区名额、调剂条件、无空余名额浪费、目标值）。"
        ]
    if joint:
        return [
            "录取规则（optimal，联合规则 joint，供分析比较）：在培养单位接收名额和地区分配名额"
            "之内，依次使按志愿录取人数最多、其中优先对象最多、第一志愿人数最多、第二志愿人数最多，"
            "然后使调剂人数最多、其中优先对象最多，最后由优先序决定其余。调剂人数排在由优先序"
            "决定谁获得志愿名额之前，因此同意调剂者可能把志愿名额让给不同意调剂者。"
        ]
    return [
        "录取规则（optimal，两阶段，默认）：",
        "第一阶段（按志愿录取）：在各培养单位接收名额和各地区分配名额之内，依次使（1）按志愿录取"
        "的人数最多；（2）其中基层、非公领域优先对象人数最多；（3）第一志愿录取人数最多，其次第二"
        "志愿；（4）以上都相同时，由优先序决定谁获得志愿名额（优先序靠前者、所得志愿靠前者优先）。",
        "第二阶段（调剂）：在第一阶段剩余的名额中，为同意调剂、专业对口（不含本人所填志愿单位）的"
        "申请人安排调剂：调剂人数最多，其中优先对象最多，其余按优先序；可去的对口单位有多个时，"
        "按培养单位名录中的先后。",
        "是否同意调剂不影响第一阶段的任何结果：无论谁如何回答“是否接受调剂”，按志愿录取的名单"
        "都不变，回答“是”不会使任何人失去志愿名额。",
    ]


def policy_lines(result: RunResult) -> list[str]:
    """The lines of the module docstring for `result`."""
    policy = result.round.policy
    lines = _rules(policy.mechanism, policy.joint)
    seed = policy.seed
    lines += [
        "优先序：先为基层或非公领域的优先对象，再按审核评分从高到低，最后按抽签签号从小到大。"
        "“优先序第N位”指本人在本轮全部参加匹配的申请人中按此顺序排第N位。",
        f"抽签：本轮种子为 {seed}。每人的签号只取决于种子和本人：以身份证号（无有效身份证号时"
        "以“文件名:行号”）计算 BLAKE2b 密钥散列（密钥为种子，8 字节），任何人可用公开的种子"
        "重新计算，例如 python3 -c \"import hashlib; print(hashlib.blake2b('身份证号'.encode(), "
        f"key=b'{seed}', digest_size=8).hexdigest())\"；"
        "增加、减少或调换其他申请人都不改变本人的签号。",
    ]
    lines += comparison_lines(result.solver.alternatives)
    return lines


def comparison_lines(alternatives: Mapping[str, Any]) -> list[str]:
    """Lines comparing the policies computed for the round (`SolverReport.alternatives`)."""
    named = [(key, alternatives[key]) for key in _NAMES if isinstance(alternatives.get(key), dict)]
    if len(named) < 2:
        return []
    lines = ["本轮对比（同一批申请人、同一名额）："]
    for key, figures in named:
        parts = "，".join(f"{label}{figures.get(name, 0)}人" for name, label in _FIGURES)
        lines.append(f"{_NAMES[key]}：{parts}。")
    lines.append(
        "合理嫉妒：优先序靠前者未获得某个更想去的志愿，而该单位录取了优先序靠后者、且本人所在地区"
        "名额允许的人数。默认规则先使录取人数最多，因此可能多于平行志愿；平行志愿没有合理嫉妒，但可能"
        "录取人数更少。"
    )
    if "gave_up" in alternatives:
        lines.append(
            f"联合规则下，有 {alternatives['gave_up']} 名同意调剂的申请人失去了"
            "在两阶段默认规则下可得的志愿名额。"
        )
    return lines
