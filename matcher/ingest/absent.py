"""What a missing optional column means: a file-level notice, once per file.

A plain 附件3 table has no 是否接受调剂, 身份证号, 是否基层, 单位性质 or 健康状况 column; the
reader then assumes the same for every row of the file (nobody accepts adjustment, nobody
is a priority applicant, everyone is healthy…). Each such column that changes the outcome
gets one OPTIONAL_COLUMN_MISSING warning with ``row`` None, saying what was assumed and how
to supply the column. 审核评分 is not among them: the department adds it, the regions do not.
"""

from __future__ import annotations

from collections.abc import Container

from matcher.ingest.headers import label
from matcher.model import Issue, Severity

#: Optional columns whose absence changes the outcome: what is then assumed for every row
#: of the file, and how to supply the column (a file-level OPTIONAL_COLUMN_MISSING notice).
ASSUMED_WHEN_ABSENT: dict[str, str] = {
    "accepts_adjustment": (
        "本表所有申请人均按“不接受调剂”处理，志愿未录取时不会被调剂；"
        "请增加“是否接受调剂”列，逐人填写“是”或“否”"
    ),
    "id_number": (
        "无法核对同一人重复申报，年龄只能按出生年月计算，抽签按行号而非身份证号；"
        "请增加“身份证号”列，填写18位身份证号"
    ),
    "grassroots": ("本表申请人均不按基层申请人优先；请增加“是否基层”列，逐人填写“是”或“否”"),
    "unit_type": (
        "本表申请人均不按非公领域申请人优先；请增加“单位性质”列（如“事业单位”“国有企业”“民营企业”）"
    ),
    "health": (
        "本表申请人均按身体健康（无影响正常培训的疾病）处理；请增加“健康状况”列，逐人填写“有”或“无”"
    ),
}


def absent_column_notices(file: str, present: Container[str]) -> list[Issue]:
    """One OPTIONAL_COLUMN_MISSING per key of `ASSUMED_WHEN_ABSENT` not in `present`."""
    return [
        Issue(
            file=file,
            column=label(key),
            code="OPTIONAL_COLUMN_MISSING",
            severity=Severity.WARNING,
            message=f"表中没有“{label(key)}”列：{assumed}",
        )
        for key, assumed in ASSUMED_WHEN_ABSENT.items()
        if key not in present
    ]
