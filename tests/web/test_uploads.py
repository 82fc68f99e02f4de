"""Properties of the upload checks: no stored name reaches outside its folder; masking."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.web.results import masked
from matcher.web.uploads import UploadRefused, clean_name

from ..strategies import CI

parts = st.text(st.characters(codec="utf-8"), max_size=12)
names = st.lists(st.sampled_from(["..", ".", "/", "\\", "a", "表", "\x00", "\n", " "]) | parts,
                 max_size=6).map("".join)  # fmt: skip
suffixes = st.sampled_from([".xlsx", ".csv", ".xls", ".exe", "", ".XLSX"])


@CI
@given(names, suffixes)
def test_an_accepted_name_stays_inside_its_folder(name: str, suffix: str):
    sent = name + suffix
    try:
        clean = clean_name(sent)
    except UploadRefused as refused:
        assert refused.code in ("UPLOAD_NAME_INVALID", "UPLOAD_WRONG_TYPE")
        return
    folder = Path("/tmp/ws/rounds/1/inputs/0123")
    assert (folder / clean).resolve().parent == folder.resolve()
    assert Path(clean).name == clean and clean.lower().endswith((".xlsx", ".xls", ".csv"))


@pytest.mark.parametrize("name", ["../a.xlsx", "a/b.xlsx", "c:\\x.xlsx", "..xlsx", "a\x00.csv"])
def test_names_with_a_path_are_refused(name: str):
    with pytest.raises(UploadRefused) as refused:
        clean_name(name)
    assert refused.value.code == "UPLOAD_NAME_INVALID"


digits = st.text(st.sampled_from("0123456789"), min_size=17, max_size=17)


@CI
@given(digits, st.sampled_from("0123456789X"), st.text(st.sampled_from("0123456789"), min_size=10,
       max_size=10))  # fmt: skip
def test_a_masked_row_shows_no_full_id_or_phone(body: str, check: str, phone_tail: str):
    id_number, phone = body + check, "1" + phone_tail
    row = {"name": "某人", "id_number": id_number, "phone": phone,
           "reason": f"与{id_number}重复，电话{phone}", "remedy": "", "problems": ""}  # fmt: skip
    view = masked(row)
    text = " ".join(str(v) for v in view.values())
    assert id_number not in text and phone not in text
    assert view["id_number"][:4] == id_number[:4] and view["id_number"][-4:] == id_number[-4:]
