"""The vocabulary of titles (职称 → grade) and profession keywords (关键词 → field).

Read from ``data/titles.csv`` (columns 职称, 等级; 等级 one of 正高级/副高级/中级/初级) and
``data/fields.csv`` (columns 关键词, 领域; 领域 one of `FIELDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from matcher.ingest.problems import Problem, warning
from matcher.ingest.text import clean_name, clean_text, shorten
from matcher.model import FIELDS, TitleGrade
from matcher.paths import data_dir as default_data_dir

GRADES: dict[str, TitleGrade] = {
    "正高级": TitleGrade.SENIOR,
    "正高": TitleGrade.SENIOR,
    "副高级": TitleGrade.ASSOCIATE_SENIOR,
    "副高": TitleGrade.ASSOCIATE_SENIOR,
    "中级": TitleGrade.INTERMEDIATE,
    "初级": TitleGrade.JUNIOR,
}
# Explicit grade words in a title text, checked in this order.
_GRADE_WORDS: tuple[tuple[str, TitleGrade], ...] = (
    ("正高", TitleGrade.SENIOR),
    ("副高", TitleGrade.ASSOCIATE_SENIOR),
    ("中级", TitleGrade.INTERMEDIATE),
    ("初级", TitleGrade.JUNIOR),
)
_NO_TITLE = frozenset({"", "无", "暂无", "/", "-", "—", "——", "未评", "无职称", "未定级"})


class VocabularyError(Exception):
    """A vocabulary file that is missing or malformed."""


class Vocabulary:
    """Title grades and field keywords, with cached lookups (`title_grade`, `field_of`).

    Parameters
    ----------
    titles
        Title as written → grade (keys are normalised here).
    keywords
        Keyword → field; the field names of `FIELDS` are keywords of themselves.
    """

    def __init__(self, titles: Mapping[str, TitleGrade], keywords: Mapping[str, str]) -> None:
        self.titles: dict[str, TitleGrade] = {clean_name(k): v for k, v in titles.items() if k}
        self.keywords: dict[str, str] = {f: f for f in FIELDS}
        self.keywords.update({clean_name(k).lower(): v for k, v in keywords.items() if k})
        self._titles_by_length = sorted(self.titles, key=len, reverse=True)
        self._keywords_by_length = sorted(self.keywords, key=len, reverse=True)
        self._title_cache: dict[str, tuple[TitleGrade, Problem | None]] = {}
        self._field_cache: dict[str, tuple[str | None, Problem | None]] = {}
        self._named_cache: dict[str, str | None] = {}  # a catalogue repeats its 培养专业

    @property
    def fields(self) -> tuple[str, ...]:
        """Field names known to the vocabulary (`FIELDS` plus any the keyword table names)."""
        return tuple(dict.fromkeys((*FIELDS, *self.keywords.values())))

    def title_grade(self, text: str) -> tuple[TitleGrade, Problem | None]:
        """Grade of a 职称 as written: (grade, problem).

        Steps: empty or 无 → NONE; exact normalised match in the table; an explicit grade
        word (正高级/副高级/中级/初级, also 正高/副高); the longest table title contained
        in the text ("高级畜牧师（副高）"); else NONE with a TITLE_UNKNOWN warning.
        """
        found = self._title_cache.get(text)
        if found is None:
            found = self._title_cache[text] = self._title_grade(text)
        return found

    def _title_grade(self, text: str) -> tuple[TitleGrade, Problem | None]:
        key = clean_name(text)
        if key in _NO_TITLE:
            return TitleGrade.NONE, None
        if key in self.titles:
            return self.titles[key], None
        for word, grade in _GRADE_WORDS:
            if word in key:
                return grade, None
        for title in self._titles_by_length:
            if title in key:
                return self.titles[title], None
        return TitleGrade.NONE, warning(
            "TITLE_UNKNOWN",
            f"职称“{shorten(clean_text(text))}”不在职称表中，按无职称处理；"
            "请填写规范的职称名称（如“高级畜牧师”）或注明等级（正高级/副高级/中级/初级）",
        )

    def field_of(self, text: str) -> tuple[str | None, Problem | None]:
        """Field of a 从事专业 as written: the field of the longest keyword it contains.

        Empty → (None, None); no keyword → (None, FIELD_UNKNOWN warning).
        """
        found = self._field_cache.get(text)
        if found is None:
            found = self._field_cache[text] = self._field_of(text)
        return found

    def field_named(self, text: str) -> str | None:
        """The field a text names: that of the longest keyword it contains, or None.

        The one reading of a field for both sides: an applicant's 从事专业 and each entry
        of a host's 培养专业 (工程 → 工程技术, 计算机 → 信息技术, 临床医学 → 医疗卫生; a field's
        own name is a keyword of itself).
        """
        if text in self._named_cache:
            return self._named_cache[text]
        key = clean_name(text).lower()
        found = next((self.keywords[w] for w in self._keywords_by_length if w in key), None)
        self._named_cache[text] = found
        return found

    def _field_of(self, text: str) -> tuple[str | None, Problem | None]:
        if not clean_name(text):
            return None, None
        field = self.field_named(text)
        if field is not None:
            return field, None
        return None, warning(
            "FIELD_UNKNOWN",
            f"从事专业“{shorten(clean_text(text))}”无法归入培养领域，无法按专业对口调剂；"
            "请写明具体专业（如“畜牧兽医”“临床医学”）",
        )


def load_vocabulary(data_dir: Path | None = None) -> Vocabulary:
    """Read ``titles.csv`` and ``fields.csv`` from `data_dir` (default: `matcher.paths.data_dir()`).

    Raises `VocabularyError` when a file is missing, lacks its columns, or names an
    unknown grade or field.
    """
    from matcher.ingest.problems import TableError
    from matcher.ingest.sheets import read_csv_rows

    folder = data_dir if data_dir is not None else default_data_dir()
    try:
        titles = _pairs(read_csv_rows(folder / "titles.csv"), "职称", "等级")
        keywords = _pairs(read_csv_rows(folder / "fields.csv"), "关键词", "领域")
    except TableError as exc:
        raise VocabularyError(str(exc)) from exc
    grades: dict[str, TitleGrade] = {}
    for title, grade in titles:
        if grade not in GRADES:
            raise VocabularyError(
                f"titles.csv：职称“{title}”的等级“{grade}”无效（应为正高级/副高级/中级/初级）"
            )
        grades[title] = GRADES[grade]
    for word, field in keywords:
        if field not in FIELDS:
            raise VocabularyError(f"fields.csv：关键词“{word}”的领域“{field}”不是已知领域")
    return Vocabulary(grades, dict(keywords))


def _pairs(rows: list[list[str]], first: str, second: str) -> list[tuple[str, str]]:
    if not rows:
        raise VocabularyError(f"词表为空（缺少“{first},{second}”表头）")
    header = [clean_name(h) for h in rows[0]]
    if first not in header or second not in header:
        raise VocabularyError(f"词表缺少“{first}”或“{second}”列")
    a, b = header.index(first), header.index(second)
    out = []
    for row in rows[1:]:
        if len(row) > max(a, b) and clean_name(row[a]):
            out.append((clean_text(row[a]), clean_name(row[b])))
    return out
