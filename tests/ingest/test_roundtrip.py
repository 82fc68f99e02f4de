"""Property: any well-formed row written in any accepted spelling reads back to its values."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.ingest import read_applicants
from matcher.model import Education, Track
from tests.ingest.util import REFERENCE, make_id, vocab, write_csv

HEADER = ["序号", "姓 名", "性别", "民族", "出生年月", "工作单位", "参加工作时间", "从事专业",
          "学历及毕业年限", "职称", "手机号码", "拟选培养单位一", "拟选培养单位（2）", "志愿3",
          "是否服从调剂", "公民身份号码", "选派地区", "培养方式"]
REGIONS = [("满洲里市人社局", "呼伦贝尔市"), ("二连浩特市", "锡林郭勒盟"), ("兴安盟", "兴安盟"),
           ("包 头 市", "包头市"), ("区直", "区直"), ("内蒙古大学", "区直")]
TRACKS = [("区外培养", Track.OUT), ("内地培养", Track.OUT), ("区外", Track.OUT),
          ("区内培养", Track.IN), ("区内", Track.IN)]
EDUCATION = [("本科 {}年毕业", Education.BACHELOR), ("硕士研究生/{}", Education.MASTER),
             ("大学本科（{}.7）", Education.BACHELOR), ("博士研究生 {}", Education.DOCTOR)]
YES = [("是", True), ("√", True), ("同意", True), ("否", False), ("×", False), ("不服从", False)]
MONTH_FORMS = ["{y}.{m:02d}", "{y}年{m}月", "{y}{m:02d}", "{y}-{m}", "{y}/{m:02d}"]
HOSTS = ["中国农业大学", "内蒙古大学", "北京师范大学", "清华大学", "赤峰学院"]
chinese = st.text(alphabet="张王李乌日娜巴特尔其木格", min_size=2, max_size=4)


@st.composite
def people(draw: st.DrawFn) -> tuple[list[str], dict[str, object]]:
    born = draw(st.dates(date(1970, 1, 1), date(2000, 12, 28)))
    male = draw(st.booleans())
    start = draw(st.dates(date(born.year + 18, 1, 1), date(2022, 12, 1)))
    name = draw(chinese)
    spaced = " ".join(name) if draw(st.booleans()) else name
    edu_form, level = draw(st.sampled_from(EDUCATION))
    grad = draw(st.integers(born.year + 18, 2022))
    choices = draw(st.lists(st.sampled_from(HOSTS), min_size=1, max_size=3, unique=True))
    yes_text, yes = draw(st.sampled_from(YES))
    region_text, region = draw(st.sampled_from(REGIONS))
    track_text, track = draw(st.sampled_from(TRACKS))
    number = make_id(born, male, order=draw(st.integers(0, 99)))
    row = [
        "1", spaced, "男" if male else "女", "蒙古族",
        draw(st.sampled_from(MONTH_FORMS)).format(y=born.year, m=born.month),
        "某单位", draw(st.sampled_from(MONTH_FORMS)).format(y=start.year, m=start.month),
        "畜牧兽医", edu_form.format(grad), "高级畜牧师", "13812345678",
        *[*choices, "", "", ""][:3], yes_text, number.lower(), region_text, track_text,
    ]
    expected = {
        "name": name, "birth": born, "birth_exact": True,  # the ID's birth date
        "work_start": start.replace(day=1), "work_start_exact": False,
        "education": level, "graduation_year": grad, "choices": tuple(choices),
        "accepts_adjustment": yes, "id_number": number, "region": region, "track": track,
        "gender": "男" if male else "女",
    }
    return row, expected


@settings(max_examples=25, deadline=None)
@given(st.lists(people(), min_size=1, max_size=5), st.sampled_from(["utf-8-sig", "gb18030"]))
def test_rows_read_back(rows: list[tuple[list[str], dict[str, object]]], encoding: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "all.csv"
        write_csv(path, HEADER, [r for r, _ in rows], encoding=encoding)
        applicants, issues = read_applicants(path, vocab(), REFERENCE)
    # no row problem; the file-level notices name the three outcome columns it lacks
    assert [i for i in issues if i.row is not None] == []
    assert {(i.column, i.code) for i in issues} == {
        (c, "OPTIONAL_COLUMN_MISSING") for c in ("是否基层", "单位性质", "健康状况")
    }
    assert [a.source_row for a in applicants] == list(range(2, len(rows) + 2))
    for applicant, (_, expected) in zip(applicants, rows, strict=True):
        assert {k: getattr(applicant, k) for k in expected} == expected
