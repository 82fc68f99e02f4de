from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from matcher.ingest import read_applicants
from matcher.model import Education, Severity, TitleGrade, Track
from tests.ingest.util import HEADER, REFERENCE, good_row, make_id, vocab, write_csv, write_form

VOCAB = vocab()


def read(path: Path):  # type: ignore[no-untyped-def]
    return read_applicants(path, VOCAB, REFERENCE)


def test_clean_file(tmp_path: Path) -> None:
    path = tmp_path / "兴安盟.xlsx"
    rows = write_form(path, [good_row(1), good_row(2, 姓名="巴特尔", 性别="男",
                                                    身份证号=make_id(date(1980, 1, 2), True),
                                                    出生年月=date(1980, 1, 1))])
    people, issues = read(path)
    assert issues == []
    assert [p.source_row for p in people] == list(rows.values()) == [4, 5]
    first = people[0]
    assert first.key == "兴安盟.xlsx:4" and first.source_file == "兴安盟.xlsx"
    assert first.name == "乌日娜" and first.employer == "兴安盟 农牧局"
    # the valid ID's birth date, day included; 参加工作时间 known to the month
    assert first.birth == date(1988, 5, 3) and first.birth_exact
    assert first.work_start == date(2010, 7, 1) and not first.work_start_exact
    assert (first.region, first.track) == ("兴安盟", Track.OUT)
    assert first.sending_unit == "兴安盟人力资源和社会保障局"
    assert first.education is Education.MASTER and first.graduation_year == 2010
    assert first.title_grade is TitleGrade.ASSOCIATE_SENIOR
    assert first.field == "畜牧兽医"
    assert first.choices == ("中国农业大学", "内蒙古农业大学")
    assert first.accepts_adjustment is True
    assert not first.invalid
    assert people[1].birth == date(1980, 1, 2)


DEFECTS = [
    ({"出生年月": "1985.13"}, "DATE_INVALID", "出生年月", Severity.ERROR),
    ({"参加工作时间": "2010-02-30"}, "DATE_INVALID", "参加工作时间", Severity.ERROR),
    ({"身份证号": make_id(date(1988, 5, 3), False)[:17] + "Y"}, "ID_FORMAT", "身份证号",
     Severity.ERROR),
    ({"身份证号": "15010219880503122"}, "ID_LENGTH", "身份证号", Severity.ERROR),
    ({"身份证号": make_id(date(1988, 5, 3), True)}, "ID_GENDER_MISMATCH", "身份证号",
     Severity.WARNING),
    ({"出生年月": "1988.03"}, "ID_BIRTH_MISMATCH", "身份证号", Severity.WARNING),
    ({"身份证号": "1.50102E+17"}, "ID_EXCEL_MANGLED", "身份证号", Severity.ERROR),
    ({"性别": "未知"}, "GENDER_INVALID", "性别", Severity.ERROR),
    ({"联系方式(手机号码)": "12345"}, "PHONE_INVALID", "联系方式(手机号码)", Severity.WARNING),
    ({"民族": ""}, "REQUIRED_MISSING", "民族", Severity.ERROR),
    ({"从事专业": None}, "REQUIRED_MISSING", "从事专业", Severity.ERROR),
    ({"拟选培养单位1": ""}, "REQUIRED_MISSING", "拟选培养单位1", Severity.ERROR),
    ({"拟选培养单位2": "中国农业大学"}, "CHOICE_REPEATED", "拟选培养单位2", Severity.WARNING),
    ({"是否接受调剂": ""}, "ADJUSTMENT_UNANSWERED", "是否接受调剂", Severity.WARNING),
    ({"是否接受调剂": "看情况"}, "YESNO_INVALID", "是否接受调剂", Severity.WARNING),
    ({"职称": "科长"}, "TITLE_UNKNOWN", "职称", Severity.WARNING),
    ({"从事专业": "综合事务"}, "FIELD_UNKNOWN", "从事专业", Severity.WARNING),
    ({"学历及毕业年限": "自学"}, "EDUCATION_UNKNOWN", "学历及毕业年限", Severity.ERROR),
    ({"民族": "汗族"}, "ETHNICITY_UNKNOWN", "民族", Severity.ERROR),
    ({"民族": "其他"}, "ETHNICITY_UNKNOWN", "民族", Severity.ERROR),
    ({"民族": "未知"}, "ETHNICITY_UNKNOWN", "民族", Severity.ERROR),
    ({"从事专业": "=A5"}, "FORMULA_CELL", "从事专业", Severity.ERROR),
    ({"拟选培养单位1": '=HYPERLINK("https://www.cau.edu.cn","中国农业大学")'}, "FORMULA_CELL",
     "拟选培养单位1", Severity.ERROR),
    ({"是否接受调剂": "=IF(A1,1,0)"}, "FORMULA_CELL", "是否接受调剂", Severity.ERROR),
    ({"健康状况": "√"}, "HEALTH_TICK_AMBIGUOUS", "健康状况", Severity.WARNING),
    ({"工作单位": "赤峰学院"}, "EMPLOYER_REGION_LEVEL", "工作单位", Severity.WARNING),
]


@pytest.mark.parametrize(("change", "code", "column", "severity"), DEFECTS,
                         ids=[d[1] + ":" + d[2] for d in DEFECTS])
def test_one_defect_per_file(tmp_path: Path, change: dict[str, object], code: str, column: str,
                             severity: Severity) -> None:
    path = tmp_path / "defect.xlsx"
    bad = good_row(2, 姓名="巴特尔", **change)
    rows = write_form(path, [good_row(1), bad, good_row(3, 姓名="其其格")])
    people, issues = read(path)
    assert len(people) == 3
    assert [(i.row, i.column, i.code, i.severity) for i in issues] == [
        (rows["巴特尔"], column, code, severity)]
    assert people[1].problems == tuple(issues)
    assert people[1].invalid is (severity is Severity.ERROR)
    assert not people[0].problems and not people[2].problems
    number = str(bad[HEADER.index("身份证号")])
    assert all(number not in i.message or len(number) < 15 for i in issues)


def test_numeric_id_cell_is_mangled(tmp_path: Path) -> None:
    path = tmp_path / "numeric.xlsx"
    rows = write_form(path, [good_row(1)], id_as_number=True)
    people, issues = read(path)
    assert [(i.row, i.code) for i in issues] == [(rows["乌 日 娜"], "ID_EXCEL_MANGLED")]
    assert "文本格式" in issues[0].message
    assert people[0].id_number is None


def test_ambiguous_float_month_uses_id(tmp_path: Path) -> None:
    path = tmp_path / "float.xlsx"
    write_form(path, [good_row(1, 出生年月=1988.1, 身份证号=make_id(date(1988, 10, 3), False)),
                      good_row(2, 姓名="巴特尔", 出生年月=1988.1,
                               身份证号=make_id(date(1988, 1, 3), False))])
    people, issues = read(path)
    assert issues == []
    assert [p.birth for p in people] == [date(1988, 10, 3), date(1988, 1, 3)]


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "nocol.xlsx"
    header = [h for h in HEADER if h != "民族"]
    rows = [[v for h, v in zip(HEADER, good_row(i), strict=True) if h != "民族"] for i in (1, 2)]
    write_form(path, rows, header=header)
    people, issues = read(path)
    codes = sorted((i.code, i.row) for i in issues)
    assert codes == [("COLUMN_MISSING", 3), ("REQUIRED_MISSING", 4), ("REQUIRED_MISSING", 5)]
    assert all(p.invalid for p in people)


def test_blank_and_footer_rows_skipped(tmp_path: Path) -> None:
    path = tmp_path / "gaps.xlsx"
    empty: list[object] = [None] * len(HEADER)
    numbered: list[object] = [7, *[None] * (len(HEADER) - 1)]
    rows = write_form(path, [good_row(1), empty, numbered, good_row(2, 姓名="巴特尔"),
                             ["填表人：王五", *[None] * (len(HEADER) - 1)],
                             ["合计", *[None] * (len(HEADER) - 1)],
                             [*[None] * (len(HEADER) + 2), "签字：______"]])
    people, issues = read(path)
    assert issues == []
    assert [p.source_row for p in people] == [rows["乌 日 娜"], rows["巴特尔"]] == [4, 7]


@pytest.mark.parametrize(("unit", "region"), [
    ("填表单位：满洲里市人力资源和社会保障局  填表时间：2023.3.10", "呼伦贝尔市"),
    ("填表单位：二连浩特市人社局（盖章）", "锡林郭勒盟"),
    ("填表单位：内蒙古大学 填表时间：", "区直"),
    ("填表单位：赤峰学院（盖章） 填表时间：2023.3.12", "区直"),
    ("填表单位：呼伦贝尔学院人事处", "区直"),
    ("填表单位：集宁师范学院", "区直"),
])
def test_region_from_unit_line(tmp_path: Path, unit: str, region: str) -> None:
    path = tmp_path / "unit.xlsx"
    write_form(path, [good_row(1)], unit_line=unit)
    people, issues = read(path)
    assert issues == [] and people[0].region == region
    assert people[0].sending_unit is not None and "盖章" not in people[0].sending_unit


def test_region_unknown(tmp_path: Path) -> None:
    path = tmp_path / "noregion.xlsx"
    write_form(path, [good_row(1)], unit_line=None)
    people, issues = read(path)
    assert [(i.code, i.row, i.severity) for i in issues] == [("REGION_UNKNOWN", 3, Severity.ERROR)]
    assert people[0].region is None and people[0].invalid


@pytest.mark.parametrize(("title", "sheet", "name", "track"), [
    ("学员汇总表（区内培养）", "Sheet1", "a.xlsx", Track.IN),
    ("学员汇总表", "区内", "a.xlsx", Track.IN),
    ("学员汇总表", "Sheet1", "兴安盟-内地培养.xlsx", Track.OUT),
    ("学员汇总表（内地培养）", "区内", "a.xlsx", Track.OUT),
])
def test_track_from_title_sheet_file(tmp_path: Path, title: str, sheet: str, name: str,
                                     track: Track) -> None:
    path = tmp_path / name
    write_form(path, [good_row(1)], title=title, sheet=sheet)
    people, issues = read(path)
    assert issues == [] and people[0].track is track


def test_track_unknown(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_form(path, [good_row(1)], title="学员汇总表")
    people, issues = read(path)
    assert [i.code for i in issues] == ["TRACK_UNKNOWN"]
    assert people[0].track is None


def test_no_data_sheet(tmp_path: Path) -> None:
    path = tmp_path / "说明.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("填表说明").write(0, 0, "请按要求填写")
    book.close()
    people, issues = read(path)
    assert people == [] and [(i.code, i.row) for i in issues] == [("HEADER_NOT_FOUND", None)]


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"", b"\x00\x01garbage"])
def test_unreadable_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    people, issues = read(path)
    assert people == [] and [i.code for i in issues] == ["FILE_UNREADABLE"]
    assert issues[0].severity is Severity.ERROR


def test_missing_file(tmp_path: Path) -> None:
    _, issues = read(tmp_path / "absent.csv")
    assert [i.code for i in issues] == ["FILE_UNREADABLE"]


ENGLISH = ["seq", "name", "gender", "ethnicity", "birth", "employer", "work_start", "profession",
           "education", "title", "phone", "choice_1", "choice_2", "choice_3",
           "accepts_adjustment", "id_number", "region", "track", "grassroots", "unit_type",
           "score", "prearranged", "health", "prior_participation", "remark"]


def english_row(seq: int, region: str, track: str, **change: object) -> list[object]:
    values: dict[str, object] = dict(
        seq=seq, name=f"学员{seq}", gender="男", ethnicity="达斡尔族", birth="1990-04",
        employer="某旗医院", work_start="2012.08", profession="临床医学", education="本科 2012",
        title="主治医师", phone="13900001111", choice_1="甲医院", choice_2="", choice_3="",
        accepts_adjustment="否", id_number=make_id(date(1990, 4, 9), True), region=region,
        track=track, grassroots="是", unit_type="民营医院", score="88.5", prearranged="",
        health="无", prior_participation="否", remark="",
    )
    values.update(change)
    return [values[h] for h in ENGLISH]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_consolidated_csv_english(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "all.csv"
    write_csv(path, ENGLISH, [
        english_row(1, "满洲里市", "区外培养"),
        english_row(2, "二连浩特市", "区内"),
        english_row(3, "区直", "内地培养", health="有", score="优秀"),
        english_row(4, "北京", "混合"),
    ], encoding=encoding)
    people, issues = read(path)
    assert [p.source_row for p in people] == [2, 3, 4, 5]
    assert [(p.region, p.track) for p in people[:3]] == [
        ("呼伦贝尔市", Track.OUT), ("锡林郭勒盟", Track.IN), ("区直", Track.OUT)]
    assert people[0].sending_unit == "满洲里市"
    assert people[0].grassroots is True and people[0].score == 88.5
    assert people[0].unit_type == "民营医院" and people[0].health_issue is False
    assert people[2].health_issue is True
    assert sorted((i.row, i.column, i.code) for i in issues) == [
        (4, "score", "SCORE_INVALID"), (5, "region", "REGION_UNKNOWN"),
        (5, "track", "TRACK_UNKNOWN")]


def test_two_row_header_workbook(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("区外")
    singles = HEADER[:11]
    ws.merge_range(0, 0, 0, 13, "学员汇总表")
    ws.write(1, 0, "填表单位：赤峰市人社局")
    for c, h in enumerate(singles):
        ws.merge_range(2, c, 3, c, h)
    ws.merge_range(2, 11, 2, 13, "拟选培养单位")
    for c, h in enumerate(["1", "2", "3"]):
        ws.write(3, 11 + c, h)
    row = [*good_row(1)[:11], "甲大学", "乙大学", "丙大学"]
    for c, v in enumerate(row):
        ws.write(4, c, v)
    book.close()
    people, issues = read(path)
    assert [i.code for i in issues if i.row is not None] == []
    assert {i.column for i in issues if i.code == "OPTIONAL_COLUMN_MISSING"} == {
        "是否接受调剂", "身份证号", "是否基层", "单位性质", "健康状况"}
    assert people[0].source_row == 5
    assert people[0].choices == ("甲大学", "乙大学", "丙大学")
    assert (people[0].region, people[0].track) == ("赤峰市", Track.OUT)


def test_header_variants_keep_written_names(tmp_path: Path) -> None:
    path = tmp_path / "variants.xlsx"
    header = [{"联系方式(手机号码)": "联系电话", "出生年月": "出生日期",
               "拟选培养单位1": "拟选培养单位（一）", "身份证号": "公民身份号码"}.get(h, h)
              for h in HEADER]
    write_form(path, [good_row(1, **{"联系方式(手机号码)": "999", "拟选培养单位1": ""})],
               header=header)
    _, issues = read(path)
    assert sorted((i.column, i.code) for i in issues) == [
        ("拟选培养单位（一）", "REQUIRED_MISSING"), ("联系电话", "PHONE_INVALID")]


def test_region_comes_from_the_submitting_unit_never_the_employer(tmp_path: Path) -> None:
    """Issue 13, item 7: 工作单位 names a city or a 区直 unit; the 填表单位 decides."""
    path = tmp_path / "赤峰市.xlsx"
    rows = write_form(path, [good_row(1, 工作单位="兴安盟人民医院"),
                             good_row(2, 姓名="巴特尔", 工作单位="赤峰学院附属医院")],
                      unit_line="填表单位：赤峰市人力资源和社会保障局")
    people, issues = read(path)
    assert [p.region for p in people] == ["赤峰市", "赤峰市"]
    assert [(i.row, i.column, i.code) for i in issues] == [
        (rows["巴特尔"], "工作单位", "EMPLOYER_REGION_LEVEL")]
    path = tmp_path / "区直.xlsx"
    write_form(path, [good_row(1, 工作单位="赤峰学院")], unit_line="填表单位：赤峰学院")
    people, issues = read(path)
    assert people[0].region == "区直" and issues == []
