"""The column store: applicant and outcome tables hold exactly the rows they were given."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from matcher.ingest import columns as fast
from matcher.ingest import sheets as tables
from matcher.ingest.applicants import read_applicants
from matcher.ingest.load import load_round
from matcher.ingest.vocab import load_vocabulary
from matcher.model import Applicant, Applicants, Round
from matcher.sample import write_large_round
from matcher.store import Column, column

FIELDS = tuple(Applicant.model_fields)


def _values(rows: object) -> list[list[tuple[type, object]]]:
    return [[(type(getattr(r, f)), getattr(r, f)) for f in FIELDS] for r in rows]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def sample() -> Round:
    return load_round()


def test_the_sample_round_round_trips_every_field(sample: Round) -> None:
    rows = list(sample.applicants)
    remade = Applicants.from_rows(Applicant.model_validate(a.model_dump()) for a in rows)
    assert _values(remade) == _values(rows)
    assert remade == sample.applicants and remade == rows
    for name in FIELDS:
        assert remade.column(name) == [getattr(a, name) for a in rows]
        assert column(rows, name) == remade.column(name)


def test_a_generated_round_read_by_columns_equals_the_row_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_large_round(800, 5, tmp_path / "round.csv")
    vocab = load_vocabulary()
    day = load_round().rules.reference_date
    with monkeypatch.context() as patch:
        patch.setattr(tables, "COLUMN_READ_BYTES", 0)
        by_columns, _ = read_applicants(path, vocab, day)
        patch.setattr(fast, "usable", lambda reader: False)
        by_rows, _ = read_applicants(path, vocab, day)
    assert isinstance(by_columns, Applicants) and len(by_columns) == 800
    assert _values(by_columns) == _values(by_rows)


def test_slices_positions_joins_and_replaced_rows(sample: Round) -> None:
    rows = list(sample.applicants)
    table = sample.applicants
    assert list(table[3:9]) == rows[3:9] and table[-1] == rows[-1]
    with pytest.raises(IndexError):
        table[len(rows)]
    joined = Applicants.join([table[:5], table[5:]])
    assert joined == table
    changed = rows[2].model_copy(update={"name": "换名"})
    replaced = table.replaced({2: changed})
    assert replaced[2].name == "换名" and list(replaced[3:]) == rows[3:]
    assert table[2] == rows[2]  # the table it came from is unchanged


def test_none_nan_and_equal_values_stay_apart_in_a_column() -> None:
    nan = float("nan")
    col = Column.of([None, 1.5, nan, None, 1.5, ()])
    got = col.tolist()
    assert got[0] is None and got[3] is None and got[1] == 1.5 and got[5] == ()
    assert isinstance(got[2], float) and math.isnan(got[2])
    assert len(col.values) == 4


def test_a_round_coerces_rows_and_refuses_what_is_not_rows(sample: Round) -> None:
    rows = tuple(sample.applicants)[:4]
    built = Round(applicants=rows, catalogue=sample.catalogue, quotas=sample.quotas)
    assert isinstance(built.applicants, Applicants) and list(built.applicants) == list(rows)
    copied = built.model_copy(update={"applicants": rows[:2]})
    assert isinstance(copied.applicants, Applicants) and len(copied.applicants) == 2
    with pytest.raises(ValidationError):
        Round(applicants="not rows", catalogue=sample.catalogue, quotas=sample.quotas)
