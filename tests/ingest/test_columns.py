"""Plain CSV files read column by column give exactly what the row reader gives."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from matcher.ingest import columns, sheets
from matcher.ingest.applicants import read_applicants
from matcher.ingest.sheets import read_csv_columns, read_csv_rows, read_sheets
from matcher.ingest.vocab import load_vocabulary
from matcher.model import Applicant
from matcher.sample import write_large_round
from tests.ingest.util import REFERENCE

#: Values dropped into random cells: every kind of problem a cell parser reports, text
#: the parsers normalise, and rows the row loop treats specially (footers, 填表单位 lines).
ODD = [
    "", " ", "  张 三 ", "男性", "F", "x", "1985.13", "1985年3月", "2030.01", "1950.01", "abc",
    "无", "/", "是", "否", "Y", "不知道", "１９８５.０３", "150102198501011234",
    "15010219850101123x", "1.50102E+17", "150102850101123", "区外", "区内", "内地培养", "外星",
    "兴安盟", "满洲里市", "火星市", "区直", "85分", "八十", "有", "健康", "13800000000",
    "1380000000", "0471-6944364", "博士", "本科", "小学", "研究员", "乱写职称", "不明专业",
    "内蒙古大学", "不存在大学", "合计", " 内蒙古大学 ", "填表单位：兴安盟人社局",
    "=A5", "=HYPERLINK(x)", "＝B2", "汗族", "其他", "蒙", "达斡尔", "√", "赤峰学院",
    "已与内蒙古大学联系并获准接收",
]  # fmt: skip


def _dirty(source: Path, target: Path, seed: int) -> None:
    """`source` with about one row in ten changed (cells, IDs, genders, extra lines)."""
    rng = random.Random(seed)
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    head, body = lines[0], lines[1:]
    width = head.count(",") + 1
    out = [head]
    for line in body:
        cells = line.split(",")
        roll = rng.random()
        if roll < 0.05:
            for _ in range(rng.randint(1, 3)):
                cells[rng.randrange(width)] = rng.choice(ODD)
        elif roll < 0.06:
            out.append(
                ",".join(
                    [rng.choice(["填表单位：兴安盟人社局", "合计", "备注"])] + [""] * (width - 1)
                )
            )
        elif roll < 0.065:
            out.append(head)
        elif roll < 0.07:
            out.append("")
        elif roll < 0.08:
            cells[15] = cells[15].lower() if rng.random() < 0.5 else cells[15][:-1] + "0"
        elif roll < 0.09:
            cells[2] = "女" if cells[2] == "男" else "男"
        elif roll < 0.095:
            cells[0] = " "
        elif roll < 0.1:
            out.append(",".join(cells))  # the same person twice
        out.append(",".join(cells))
    target.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def clean_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_large_round(1500, 3, tmp_path_factory.mktemp("columns") / "round.csv")


def _read(path: Path, by_column: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    with monkeypatch.context() as patch:
        patch.setattr(sheets, "COLUMN_READ_BYTES", 0)
        if not by_column:
            patch.setattr(columns, "usable", lambda reader: False)
        return read_applicants(path, load_vocabulary(), REFERENCE)


def _same(a: list[Applicant], b: list[Applicant]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        values = [(f, getattr(x, f)) for f in Applicant.model_fields]
        assert values == [(f, getattr(y, f)) for f in Applicant.model_fields]
        assert [type(v) for _, v in values] == [type(getattr(y, f)) for f in Applicant.model_fields]
        assert x == y


def test_plain_csv_cells_equal_the_row_reader(clean_csv: Path) -> None:
    columns = read_csv_columns(clean_csv, minimum=0)
    assert columns is not None
    assert [list(row) for row in columns] == read_csv_rows(clean_csv)
    assert columns[2:4] == read_csv_rows(clean_csv)[2:4]


@pytest.mark.parametrize(
    "text",
    [
        'a,b,c\n1,"x,y",3\n',  # quotes
        "a,b,c\r\n1,2,3\r\n",  # carriage returns
        "a,b,c\n1,2\n",  # a short line
        "a,b,c\n1,2,3,4\n",  # a long line
        "abc\n1\n",  # one column
    ],
)
def test_other_csv_is_read_row_by_row(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    assert read_csv_columns(path, minimum=0) is None


def test_blank_lines_and_bom_read_like_the_row_reader(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffa,b,c\n1,2,3\n\n4,, 6\n".encode())
    columns = read_csv_columns(path, minimum=0)
    assert columns is not None
    assert [list(row) for row in columns] == read_csv_rows(path)


@pytest.mark.parametrize(
    "body",
    [
        "NA,null,#x\nnan,N/A,None\n",  # texts a reader may take for missing values
        "0471,1.50E+17,007\n-0,1e3, 12 \n",  # texts a reader may take for numbers
        "true,FALSE,\n,,\n",  # for flags, and empty cells
        "\n\n长,文本" + "字" * 5000 + ",x\n\n",  # blank lines, a long cell
    ],
)
def test_cells_are_the_texts_as_written(tmp_path: Path, body: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n" + body, encoding="utf-8")
    read = read_csv_columns(path, minimum=0)
    assert read is not None
    assert [list(row) for row in read] == read_csv_rows(path)
    assert all(type(c) is str for column in read.columns for c in column)
    assert read.coded is not None
    for (codes, texts), column in zip(read.coded, read.columns, strict=True):
        assert texts[codes].tolist() == column.tolist()
        assert len(set(texts.tolist())) == len(texts)  # each distinct cell once


def test_a_text_that_is_no_utf8_is_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n\xff\xfe,1\n")
    assert read_csv_columns(path, minimum=0) is None


def test_clean_rows_are_read_by_column(clean_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "COLUMN_READ_BYTES", 0)
    assert read_sheets(clean_csv)[0].columns is not None
    made: list[int] = []
    real = columns.read_rows

    def counted(*args: object) -> object:
        ok, people = real(*args)  # type: ignore[arg-type]
        made.append(len(people))
        return ok, people

    monkeypatch.setattr(columns, "read_rows", counted)
    people, _ = read_applicants(clean_csv, load_vocabulary(), REFERENCE)
    assert made == [len(people)] and len(people) == 1500


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dirty_csv_by_column_equals_by_row(
    clean_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    path = tmp_path / "dirty.csv"
    _dirty(clean_csv, path, seed)
    fast_people, fast_issues = _read(path, True, monkeypatch)
    row_people, row_issues = _read(path, False, monkeypatch)
    assert row_issues and fast_issues == row_issues
    _same(fast_people, row_people)


@pytest.mark.parametrize("ascii", [False, True])  # with full-width digits, or ASCII only
def test_id_numbers_checked_as_parse_id_checks_them(ascii: bool) -> None:
    import numpy as np
    from stdnum.cn import ric

    from matcher.ingest.ids import id_birth, parse_id

    rng = random.Random(5)
    cells, genders, births = [], [], []
    for _ in range(3000):
        born = date(rng.randint(1890, 2030), rng.randint(1, 12), rng.randint(1, 28))
        body = f"150102{born:%Y%m%d}{rng.randint(0, 999):03d}"
        text = body + ric.calc_check_digit(body + "0")
        roll = rng.random()
        if roll < 0.1:
            text = text[:-1] + rng.choice("0123456789X")
        elif roll < 0.15:
            text = (
                text[:10]
                + rng.choice(["13", "00", "02"])
                + rng.choice(["30", "31", "00"])
                + text[14:]
            )
        elif roll < 0.2:
            wide = "1" if ascii else "１"
            text = rng.choice(["", " ", text.lower(), text + "1", wide + text[1:], text[:17]])
        cells.append(text)
        genders.append(rng.choice(["男", "女", None]))
        births.append(rng.choice([None, born, date(born.year, 1, 1), date(born.year, 3, 1)]))
    ok = np.ones(len(cells), dtype=bool)
    sex = np.array([{"男": 1, "女": 0}.get(g, -1) for g in genders], dtype=np.int8)
    stamps = np.array([b.year * 10000 + b.month * 100 + b.day if b else 0 for b in births])
    (codes, ids), stamp = columns._ids(
        columns._Column(np.array(cells, dtype=object)), sex, stamps, REFERENCE, ok
    )
    assert ids[-1] is None and len(set(ids[:-1].tolist())) == len(ids) - 1
    values = ids[codes]
    born_of = [date(s // 10000, s // 100 % 100, s % 100) if s else None for s in stamp.tolist()]
    assert 0 < ok.sum() < len(ok)
    rows = zip(cells, genders, births, values, born_of, ok, strict=True)
    for cell, gender, birth, value, born, fine in rows:
        number, problems = parse_id(cell, gender, birth, REFERENCE)
        if fine:
            assert not problems and value == number and born == id_birth(number)
        else:
            assert (problems or number != cell) and born is None


#: Written choices (拟选培养单位1–3) the column reader must read as the row reader does:
#: repeats told apart by case, spaces and full-width letters, gaps, 无, formulas.
TRIPLES = [
    ("内蒙古大学", "内蒙古大学", ""),
    ("内蒙古大学", "赤峰学院", " 内蒙古大学 "),
    ("内蒙古大学", "", "内蒙古 大学"),
    ("", "内蒙古大学", "赤峰学院"),
    ("无", "内蒙古大学", ""),
    ("内蒙古大学", "无", "赤峰学院"),
    ("ＡＢ大学", "ab大学", "Ab大学"),
    ("内蒙古大学", "=A5", ""),
    ("＝B2", "", ""),
    ("赤峰学院", "", ""),
    ("不存在大学", "不存在大学", "不存在大学"),
    ("", "", ""),
    ("/", "—", "赤峰学院"),
    ("赤峰学院", "内蒙古大学", "内蒙古大学"),
]


def test_written_choices_by_column_equal_by_row(
    clean_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = clean_csv.read_text(encoding="utf-8-sig").splitlines()
    head = lines[0].split(",")
    at = [head.index(f"拟选培养单位{k}") for k in (1, 2, 3)]
    out = [lines[0]]
    for number, line in enumerate(lines[1:]):
        cells = line.split(",")
        if number % 3 == 0:  # the others keep their clean choices
            for col, text in zip(at, TRIPLES[number // 3 % len(TRIPLES)], strict=True):
                cells[col] = text
        out.append(",".join(cells))
    path = tmp_path / "choices.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    fast_people, fast_issues = _read(path, True, monkeypatch)
    row_people, row_issues = _read(path, False, monkeypatch)
    assert {i.code for i in row_issues} >= {"CHOICE_REPEATED", "FORMULA_CELL"}
    assert fast_issues == row_issues
    _same(fast_people, row_people)


@pytest.mark.parametrize(
    "values",
    [
        ["a", None, "b", "a", float("nan"), None],
        [float("nan"), 1.5, None, 2.0, 1.5],
        [True, False],
        [date(2020, 1, 1), None, date(2020, 1, 1)],
        [None],
        [],
    ],
)
def test_a_parsed_column_is_encoded_as_column_of_encodes_it(values: list[object]) -> None:
    import numpy as np
    import pandas as pd

    from matcher.store import Column

    rng = random.Random(len(values))
    distinct = np.empty(len(values), dtype=object)
    distinct[:] = values
    codes = np.array([rng.randrange(len(values)) for _ in range(40)] if values else [], dtype=int)
    for rows in (codes, codes[::-1], codes[:3]):
        present = pd.unique(rows)
        made, expected = columns._encoded(rows, present, distinct), Column.of(distinct[rows])
        assert made.codes.dtype == expected.codes.dtype
        assert made.codes.tolist() == expected.codes.tolist()
        assert [repr(v) for v in made.values] == [repr(v) for v in expected.values]


@pytest.mark.parametrize("count", [0, 1, 300])
def test_constant_and_distinct_columns_are_encoded_as_column_of_encodes_them(count: int) -> None:
    from matcher.store import Column

    keys = [f"a.csv:{k + 2}" for k in range(count)]
    for made, expected in (
        (Column.of_distinct(keys), Column.of(keys)),  # what the reader uses for keys and rows
        (columns._same((), count), Column.of([()] * count)),
        (columns._same("a.csv", count), Column.of(["a.csv"] * count)),
    ):
        assert made.codes.dtype == expected.codes.dtype
        assert made.codes.tolist() == expected.codes.tolist()
        assert made.values.tolist() == expected.values.tolist()


@pytest.mark.parametrize(
    ("tail", "read"),
    [
        (b"1,2\n", False),  # a short line
        (b"1,2,3,4\n", False),  # a long line
        (b"\xff,2,3\n", False),  # no UTF-8
        ("1,x\u2028y,3\n".encode(), False),  # line separators
        ("1,x\u2029y,3\n".encode(), False),
        ("1,x\x85y,3\n".encode(), False),
        (b"1,x\x0by,3\n", False),
        (b"1,x\x1ey,3\n", False),
        (b"1,x\x7fy,3\n", False),  # control characters
        ("1,x\x9fy,3\n".encode(), False),
        (b"1,x\ty,3\n", True),  # a tab is text
        ("1,阿依·木拉提—…,3\n".encode(), True),  # C2 and E2 lead bytes of plain text
        (b"\n\n1,,3\n", True),  # blank lines
    ],
)
def test_a_line_past_the_parsers_first_block_decides_too(
    tmp_path: Path, tail: bytes, read: bool
) -> None:
    """The parser reads a large file in blocks: a line in a later one is checked the same."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b,c\n" + "甲,乙乙,丙\n".encode() * 400_000 + tail + b"4,5,6\n")
    columns = read_csv_columns(path, minimum=0)
    assert (columns is not None) is read
    if columns is not None:
        rows = read_csv_rows(path)
        assert len(columns) == len(rows)
        assert [list(row) for row in columns[-6:]] == rows[-6:]
        assert [list(row) for row in columns[:3]] == rows[:3]
