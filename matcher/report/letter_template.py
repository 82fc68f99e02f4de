"""The bundled 报到通知 template (``data/templates/报到通知.docx``), built with python-docx.

The department edits the .docx itself (Word or LibreOffice Writer): the ``{{ 名称 }}``
fields are filled per trainee by `matcher.report.letters` (docxtpl, Jinja syntax); every
other word is the department's to change. This module only rebuilds the bundled file:
``python -m matcher.report.letter_template data/templates/报到通知.docx``.
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

FONT = "仿宋"
TITLE_FONT = "宋体"
INDENT = "\u3000\u3000"

#: The template's paragraphs: (text, style) with style "title", "body", "plain", "right".
PARAGRAPHS: tuple[tuple[str, str], ...] = (
    ("报到通知", "title"),
    ("{{ 姓名 }}同志：", "plain"),
    (
        "根据《关于做好{{ 年度 }}年度“内蒙古少数民族地区专业技术人才特培计划”选派工作的通知》"
        "（内人社办发〔2023〕21号），经审核，您已被确定为{{ 年度 }}年度特培计划{{ 培养方式 }}学员，"
        "培养单位为{{ 培养单位 }}（{{ 录取方式 }}）。请按以下要求报到。",
        "body",
    ),
    ("报到时间：{{ 报到时间 }}", "body"),
    ("报到地点：{{ 报到地址 }}", "body"),
    ("联系人：{{ 联系人 }}    联系电话：{{ 联系电话 }}", "body"),
    (
        "请携带本通知和身份证按时报到。学习期间请服从培养单位的学习、生活安排，遵守培养单位的各项"
        "规章制度；因故请假须向培养单位及派出单位履行请假手续。学员一经录取，原则上不得擅自变更"
        "培养时间、培养专业和培养单位。",
        "body",
    ),
    (
        "学员学费、住宿费由自治区人才开发基金直接汇至培养单位；"
        "生活补贴每人每月{{ 生活补贴标准 }}元，结业考核合格后按实际培训时间发放；"
        "1年两次往返路费由用人单位承担，培养学习期间的餐饮费自理。",
        "body",
    ),
    ("选派单位：{{ 选派单位 }}    工作单位：{{ 工作单位 }}    从事专业：{{ 从事专业 }}", "body"),
    ("", "plain"),
    ("内蒙古自治区人力资源和社会保障厅", "right"),
    ("{{ 发文日期 }}", "right"),
)
#: The fields a letter fills (the template may use any of them, and no others).
#: The date every zip entry carries, so the same letters give the same bytes.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def fixed_zip(data: bytes) -> bytes:
    """`data` (a zip) re-written with every entry dated 1980-01-01: same content, same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


FIELDS = (
    "序号",
    "姓名",
    "性别",
    "民族",
    "工作单位",
    "从事专业",
    "选派单位",
    "选派地区",
    "培养方式",
    "培养单位",
    "录取方式",
    "报到时间",
    "报到地址",
    "联系人",
    "联系电话",
    "生活补贴标准",
    "年度",
    "发文日期",
)


def _font(run: object, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name  # type: ignore[attr-defined]
    run.font.size = Pt(size)  # type: ignore[attr-defined]
    run.font.bold = bold  # type: ignore[attr-defined]
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()  # type: ignore[attr-defined]
    fonts.set(qn("w:eastAsia"), name)


def build_template() -> bytes:
    """The template's .docx bytes (A4, 仿宋 四号 body, the `PARAGRAPHS`)."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.6)
    document.core_properties.created = datetime(2023, 1, 1)
    document.core_properties.modified = datetime(2023, 1, 1)
    document.core_properties.last_modified_by = "matcher"
    document.core_properties.author = "matcher"
    document.core_properties.title = "报到通知"
    for text, style in PARAGRAPHS:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.line_spacing = Pt(25)
        paragraph.paragraph_format.space_after = Pt(2)
        if style == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.space_after = Pt(18)
            _font(paragraph.add_run(text), TITLE_FONT, 22, bold=True)
            continue
        if style == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if style == "body":
            text = INDENT + text
        _font(paragraph.add_run(text), FONT, 14)
    buffer = io.BytesIO()
    document.save(buffer)
    return fixed_zip(buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    """Write the template to the path given (default: the bundled one)."""
    from matcher.paths import data_dir

    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else data_dir() / "templates" / "报到通知.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(build_template())


if __name__ == "__main__":
    main()
