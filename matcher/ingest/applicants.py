"""Reading the regions' applicant tables (附件3 学员汇总表 and consolidated sheets).

`read_applicants` turns every data row of every data sheet into an `Applicant`, with the
row's problems on `Applicant.problems` (a row with errors is kept; it ends `invalid`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from operator import itemgetter
from pathlib import Path

import numpy as np

from matcher.ingest import columns
from matcher.ingest.absent import absent_column_notices
from matcher.ingest.cells import (
    parse_day,
    parse_education,
    parse_gender,
    parse_health,
    parse_id,
    parse_phone,
    parse_score,
    parse_yesno,
)
from matcher.ingest.context import context_of, line_text
from matcher.ingest.ethnicity import parse_ethnicity
from matcher.ingest.formulas import (
    FORMULA_SUFFIXES,
    formula_cells,
    formula_problem,
    is_formula_text,
    with_formulas,
)
from matcher.ingest.headers import COLUMNS, FOOTER_LEADS, FOOTERS, Header, find_header, label
from matcher.ingest.ids import id_birth
from matcher.ingest.problems import Problem, TableError, error, warning
from matcher.ingest.regions import employer_problem
from matcher.ingest.rowfields import (
    adjustment_of,
    choices_of,
    id_month,
    region_of_row,
    track_of_row,
)
from matcher.ingest.sheets import Sheet, control_issues, read_sheets
from matcher.ingest.text import (
    cell_text,
    clean_name,
    clean_text,
    optional_text,
    shorten,
)
from matcher.ingest.vocab import Vocabulary
from matcher.memory import gc_paused
from matcher.model import Applicant, Applicants, Issue, Severity

CHOICE_KEYS = ("choice_1", "choice_2", "choice_3")
REQUIRED: tuple[str, ...] = (
    "name",
    "gender",
    "ethnicity",
    "birth",
    "work_start",
    "profession",
    "education",
    "choice_1",
)
#: Text columns where a stored 0 is the result of a formula, not a value.
_TEXT_KEYS = frozenset(
    ("name", "gender", "ethnicity", "employer", "profession", "education", *CHOICE_KEYS)
)


def read_applicants(
    path: Path,
    vocab: Vocabulary,
    reference_date: date,
    sheets: Callable[[], list[Sheet]] | None = None,
) -> tuple[Applicants, list[Issue]]:
    """Read one applicant file: (applicants in row order, every issue found).

    Parameters
    ----------
    path
        An .xlsx/.xlsm/.xls or .csv file. Sheets without a header row (e.g. 填表说明) are
        skipped; a file with no data sheet gives HEADER_NOT_FOUND, an unreadable one
        FILE_UNREADABLE (never an exception).
    vocab
        Title grades and field keywords.
    reference_date
        Dates after it (birth, work start, ID birth date) are invalid.
    sheets
        Gives the file's sheets when they are read elsewhere (the result of a future):
        `read_sheets` of `path`, or its `TableError`. Default: `read_sheets` here.

    Returns
    -------
    tuple
        Applicants (key ``file:row``; row as Excel shows it, CSV header = line 1) and the
        issues: row issues (also on each applicant's `problems`) and file-level ones.
    """
    file = path.name
    try:
        read = sheets() if sheets is not None else read_sheets(path)
    except TableError as exc:
        failed = Issue(file=file, code=exc.code, severity=Severity.ERROR, message=str(exc))
        return Applicants.from_rows([]), [failed]
    people: list[Applicants] = []
    issues: list[Issue] = []
    found = False
    with gc_paused():
        for sheet in read:
            header = find_header(sheet.rows, sheet.merged)
            if header is None:
                continue
            found = True
            issues += control_issues(file, sheet, header.row)
            reader = _SheetReader(path, sheet, header, vocab, reference_date)
            rows = reader.applicants()
            found_formulas = formula_cells(path, sheet.name, reader.suspects)
            if found_formulas:
                names = {col: reader.column(key) for key, col in reader.col.items()}
                rows, reader.issues = with_formulas(rows, reader.issues, found_formulas, names)
            people.append(rows)
            issues += reader.issues
    issues = list(dict.fromkeys(issues))  # a file-level notice once, however many sheets
    if not found:
        issues.append(
            Issue(
                file=file,
                code="HEADER_NOT_FOUND",
                severity=Severity.ERROR,
                message="文件中没有找到学员汇总表的表头（需在前10行内有“姓名、性别、民族、出生年月…”等列名），"
                "请使用附件3的表头",
            )
        )
    return Applicants.join(people), issues


class _SheetReader:
    """Reads the data rows of one sheet under a detected header."""

    def __init__(
        self, path: Path, sheet: Sheet, header: Header, vocab: Vocabulary, reference: date
    ) -> None:
        self.file = path.name
        self.stem = path.stem
        self.sheet = sheet
        self.header = header
        self.vocab = vocab
        self.reference = reference
        self.issues: list[Issue] = []
        #: (0-based row, column) of cells that may hold a formula without a stored value.
        self.suspects: list[tuple[int, int]] = []
        self.workbook = path.suffix.lower() in FORMULA_SUFFIXES
        lines = [line_text(r) for r in sheet.rows[: header.row]]
        self.context = context_of([x for x in lines if x], sheet.name, path.stem)
        self.col = {key: col for key, (col, _) in header.columns.items()}
        self.names = {key: text for key, (_, text) in header.columns.items()}
        for col, text in header.duplicates:
            self.issues.append(
                Issue(
                    file=self.file,
                    row=header.row + 1,
                    column=text,
                    code="HEADER_DUPLICATE",
                    severity=Severity.WARNING,
                    message=f"第{col + 1}列“{text}”与前面的列重复，已忽略该列；请删除重复的列",
                )
            )
        need = max(self.col.values()) + 1
        self.need = need
        self.keys = tuple(COLUMNS)
        self.pick = itemgetter(*(self.col.get(k, need) for k in self.keys))
        self.missing = [k for k in REQUIRED if k not in self.col]
        self.text_cols = [(k, c) for k, c in self.col.items() if k in _TEXT_KEYS]
        for key in self.missing:
            self.issues.append(
                Issue(
                    file=self.file,
                    row=header.row + 1,
                    column=label(key),
                    code="COLUMN_MISSING",
                    severity=Severity.ERROR,
                    message=f"表头缺少“{label(key)}”列，请按附件3补充该列并填写",
                )
            )
        self.issues += absent_column_notices(self.file, self.col)

    def column(self, key: str) -> str:
        """Header text as written for `key` (the canonical name when the column is absent)."""
        return self.names.get(key) or label(key)

    def applicants(self) -> Applicants:
        """Every applicant row of the sheet, in order; updates `issues`.

        A sheet read column by column (a large plain CSV) has its clean rows read by
        `matcher.ingest.columns` and every other row by the row loop, with the same result
        as reading every row by the loop.
        """
        rows = self.sheet.rows
        by_column = self.sheet.columns
        start = self.header.data_start
        if by_column is None or not columns.usable(self) or start >= len(rows):
            read = self._read(range(start, len(rows)))
            return Applicants.from_rows([person for _, person in read])
        candidates = columns.fast_candidates(self, by_column, start)
        ok, clean = columns.read_rows(self, by_column, candidates)
        quick = candidates[ok]
        del candidates, ok
        rest = np.ones(len(rows) - start, dtype=bool)
        rest[quick - start] = False
        others = self._read((np.flatnonzero(rest) + start).tolist())
        del rest
        if not others:
            return clean
        slow = Applicants.from_rows([person for _, person in others])
        at = np.fromiter((index for index, _ in others), dtype=np.int64, count=len(others))
        order = np.argsort(np.concatenate([quick, at]), kind="stable")  # both in row order
        return Applicants.join([clean, slow]).take(order)

    def _read(self, indexes: Iterable[int]) -> list[tuple[int, Applicant]]:
        """Read the rows at `indexes` (in order) by the row loop: (index, applicant)."""
        out: list[tuple[int, Applicant]] = []
        data_cols = {c for k, c in self.col.items() if k != "seq"}  # stray cells elsewhere
        name_col = self.col["name"]
        name_header = cell_text(self.sheet.rows[self.header.row][name_col]).strip()
        rows = self.sheet.rows
        # The sheet's rows are lists read for this file alone: each is dropped once read (see
        # the end of the loop), so a million raw rows and applicants are not all held at once.
        for index in indexes:
            row = rows[index]
            lead: object = None
            lead_at = 0
            content = False
            for i, v in enumerate(row):
                if v is None or v == "" or (isinstance(v, str) and not v.strip()):
                    continue
                if lead is None:
                    lead, lead_at = v, i
                if i in data_cols:
                    content = True
                    break
            if not content:
                continue
            if isinstance(lead, str) and lead.lstrip()[:1] in FOOTER_LEADS:
                text = clean_name(lead)
                if text.startswith(FOOTERS):
                    if self._footer(index, row, lead_at, data_cols, name_col):
                        continue
                if text.startswith(("填表单位", "填报单位")):
                    self.context = context_of([line_text(row)], self.sheet.name, self.stem)
                    continue
            if name_col < len(row) and cell_text(row[name_col]).strip() == name_header:
                continue  # a repeated header row
            try:
                person = self.row(index + 1, row)
            except (ValueError, TypeError, ArithmeticError):  # a safety net, never expected
                person = self._unreadable(index + 1)
            self.issues.extend(person.problems)
            out.append((index, person))
            if isinstance(rows, list):
                rows[index] = ()  # the raw cells are not needed again
        return out

    def _footer(
        self, index: int, row: Sequence[object], lead_at: int, data_cols: set[int], name_col: int
    ) -> bool:
        """Whether a row led by 合计/备注/说明… is a footer (else it is read as a data row).

        A footer holds nothing in the data columns beside its lead cell. One that does but
        has no name is skipped with ROW_SKIPPED_AS_FOOTER (a warning: the row is on record);
        one with a name is a data row whatever its 序号 says.
        """
        filled = [
            i for i in data_cols if i != lead_at and i < len(row) and cell_text(row[i]).strip()
        ]
        if not filled:
            return True
        if name_col in filled:
            return False
        shown = shorten(clean_text(cell_text(row[lead_at])), 12)
        self.issues.append(
            warning(
                "ROW_SKIPPED_AS_FOOTER",
                f"第{index + 1}行以“{shown}”开头且没有填写姓名，已按表尾说明处理、未读入；"
                "如该行是学员，请填写姓名并把序号改为数字",
            ).issue(self.file, index + 1, self.column("name"))
        )
        return True

    def row(self, number: int, row: Sequence[object]) -> Applicant:
        """Read one data row (Excel row `number`) as an `Applicant` with its problems."""
        found: list[tuple[str, Problem]] = []
        add = found.append
        missing: list[str] = []
        cells = list(row[: self.need])
        cells.extend([None] * (self.need + 1 - len(cells)))
        values = dict(zip(self.keys, self.pick(cells), strict=True))
        formulas = {k: v for k, v in values.items() if is_formula_text(v) and k != "seq"}
        for key in formulas:
            values[key] = None  # read as empty; FORMULA_CELL, not REQUIRED_MISSING, says why
        get = values.__getitem__

        name = clean_name(cell_text(get("name")))
        if not name:
            missing.append("name")
        gender, problem = parse_gender(cell_text(get("gender")))
        if problem:
            add(("gender", problem))
        elif gender is None:
            missing.append("gender")
        ethnicity = clean_name(cell_text(get("ethnicity"))) or None
        if ethnicity is None:
            missing.append("ethnicity")
        else:
            group, problem = parse_ethnicity(ethnicity)
            if problem:
                add(("ethnicity", problem))
            ethnicity = group or ethnicity

        id_cell = get("id_number")
        written, written_exact, problem = parse_day(get("birth"), self.reference, id_month(id_cell))
        if problem:
            add(("birth", problem))
        id_number, id_problems = parse_id(id_cell, gender, written, self.reference)
        # The ID's birth date (day included) wins over 出生年月 when the ID is valid.
        valid = not any(p.severity is Severity.ERROR for p in id_problems)
        born = id_birth(id_number) if valid else None
        birth, birth_exact = (born, True) if born is not None else (written, written_exact)
        if birth is None and problem is None:
            missing.append("birth")
        work_start, work_start_exact, problem = parse_day(get("work_start"), self.reference)
        if problem:
            add(("work_start", problem))
        elif work_start is None:
            missing.append("work_start")
        if birth and work_start and work_start.year < birth.year + 14:
            add(
                (
                    "work_start",
                    warning(
                        "WORK_START_IMPLAUSIBLE",
                        (
                            f"参加工作时间{work_start.year}.{work_start.month:02d}早于14周岁"
                            f"（出生{birth.year}.{birth.month:02d}），请核对"
                        ),
                    ),
                )
            )
        for problem in id_problems:
            add(("id_number", problem))

        profession = clean_text(cell_text(get("profession"))) or None
        field: str | None = None
        if profession is None:
            missing.append("profession")
        else:
            field, problem = self.vocab.field_of(profession)
            if problem:
                add(("profession", problem))
        education_text = clean_text(cell_text(get("education"))) or None
        education, graduation, problem = parse_education(education_text or "")
        if problem:
            add(("education", problem))
        if education_text is None:
            missing.append("education")
        if graduation is None and "graduation" in self.col:
            graduation = parse_education(cell_text(get("graduation")))[1]
        title = optional_text(get("title"))
        grade, problem = self.vocab.title_grade(title or "")
        if problem:
            add(("title", problem))
        phone, problem = parse_phone(get("phone"))
        if problem:
            add(("phone", problem))

        choices = choices_of(get, add)
        if not choices or optional_text(get("choice_1")) is None:
            missing.append("choice_1")
        accepts = adjustment_of("accepts_adjustment" in self.col, get("accepts_adjustment"), add)
        unit, region = region_of_row(get("region"), self.context, add)
        track = track_of_row(get("track"), self.context, add)
        employer = optional_text(get("employer"))
        problem = employer_problem(employer, region)
        if problem:
            add(("employer", problem))

        grassroots, problem = parse_yesno(get("grassroots"))
        if problem:
            add(("grassroots", problem))
        score, problem = parse_score(get("score"))
        if problem:
            add(("score", problem))
        health, problem = parse_health(get("health"))
        if problem:
            add(("health", problem))
        prior, problem = parse_yesno(get("prior_participation"))
        if problem:
            add(("prior_participation", problem))

        if self.workbook:  # cells that may hold a formula without a stored value
            self.suspects += [
                (number - 1, self.col[k]) for k in missing if k in self.col and k not in formulas
            ]
            self.suspects += [(number - 1, c) for k, c in self.text_cols if values[k] == 0]
        problems = [self._missing(k, number) for k in missing if k not in formulas]
        problems += [
            formula_problem(self.column(k), str(v)).issue(self.file, number, self.column(k))
            for k, v in formulas.items()
        ]
        problems += [  # a formula cell reads as empty: FORMULA_CELL alone speaks for it
            p.issue(self.file, number, self.column(k)) for k, p in found if k not in formulas
        ]
        return Applicant.model_validate(
            {
                "key": f"{self.file}:{number}",
                "source_file": self.file,
                "source_row": number,
                "name": name,
                "gender": gender,
                "ethnicity": ethnicity,
                "birth": birth,
                "birth_exact": birth_exact,
                "employer": employer,
                "work_start": work_start,
                "work_start_exact": work_start_exact,
                "profession": profession,
                "field": field,
                "education": education,
                "education_text": education_text,
                "graduation_year": graduation,
                "title": title,
                "title_grade": grade,
                "phone": phone,
                "id_number": id_number,
                "sending_unit": unit,
                "region": region,
                "track": track,
                "choices": choices,
                "accepts_adjustment": accepts,
                "grassroots": bool(grassroots),
                "unit_type": optional_text(get("unit_type")),
                "score": score,
                "prearranged": optional_text(get("prearranged")),
                "prearranged_from_remark": False,
                "health_issue": health,
                "prior_participation": prior,
                "remark": optional_text(get("remark")),
                "problems": tuple(problems),
            }
        )

    def _unreadable(self, number: int) -> Applicant:
        message = "该行无法读取，请检查各单元格内容（如合并单元格、公式）"
        issue = error("ROW_UNREADABLE", message).issue(self.file, number, None)
        return Applicant(
            key=f"{self.file}:{number}", source_file=self.file, source_row=number, problems=(issue,)
        )

    def _missing(self, key: str, number: int) -> Issue:
        where = "该列为空" if key in self.col else "表中没有该列"
        message = f"必填项“{label(key)}”未填写（{where}），请补充"
        return error("REQUIRED_MISSING", message).issue(self.file, number, self.column(key))
