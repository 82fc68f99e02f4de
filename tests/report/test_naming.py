from hypothesis import given
from hypothesis import strategies as st

from matcher.report.naming import (
    FILE_STEM_BYTES,
    SHEET_NAME_MAX,
    display_width,
    fit_name,
    safe_filename,
    safe_sheet_name,
    utf16_length,
    utf16_prefix,
)
from tests.strategies import CI


def test_safe_filename_removes_path_and_forbidden_characters():
    taken: set[str] = set()
    assert safe_filename("../北京/大学:医学部*?", taken) == "_北京_大学_医学部__.csv"
    assert safe_filename("CON", taken) == "_CON.csv"
    assert safe_filename("...", taken) == "_.csv"
    assert "/" not in safe_filename("a/b\\c", taken)


def test_safe_filename_is_unique_case_insensitively():
    taken: set[str] = set()
    names = [safe_filename(n, taken) for n in ("Host", "host", "HOST")]
    assert names == ["Host.csv", "host(2).csv", "HOST(3).csv"]


def test_safe_sheet_name_respects_excel_rules():
    taken: set[str] = set()
    name = safe_sheet_name("'中国科学院[内蒙古]:分院/研究所?*" + "很长" * 20, taken)
    assert len(name) <= 31
    assert not set(name) & set("[]:*?/\\") and not name.startswith("'")
    again = safe_sheet_name("'中国科学院[内蒙古]:分院/研究所?*" + "很长" * 20, taken)
    assert again != name and len(again) <= 31


def test_display_width_counts_cjk_double():
    assert display_width("ab") == 2
    assert display_width("内蒙古") == 6
    assert display_width(None) == 0


#: Names as the department's files may hold them: CJK, outside the BMP, ASCII, anything.
NAMES = st.text(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
        st.characters(codec="utf-8"),
    ),
    max_size=120,
)


@CI
@given(st.lists(NAMES, max_size=6))
def test_file_names_fit_every_file_system_and_depend_only_on_the_name(names):
    taken: set[str] = set()
    results = [safe_filename(n, taken) for n in names]
    assert len({r.lower() for r in results}) == len(results)
    for name, result in zip(names, results, strict=True):
        assert len(result.encode("utf-8")) <= FILE_STEM_BYTES + len("(99).csv")
        assert "/" not in result and "\x00" not in result and not result.startswith(".")
        # A name that needs no (n) is the same whatever else is in the round.
        alone = safe_filename(name, set())
        assert result == alone or result.endswith(").csv")


@CI
@given(st.lists(NAMES, max_size=6))
def test_sheet_names_fit_excel_counting_utf16_units(names):
    taken: set[str] = set()
    results = [safe_sheet_name(n, taken) for n in names]
    assert len({r.lower() for r in results}) == len(results)
    for result in results:
        assert 1 <= utf16_length(result) <= SHEET_NAME_MAX
        assert not set(result) & set("[]:*?/\\") and not result.startswith("'")
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in result)


def test_a_31_character_sheet_name_with_a_character_outside_the_bmp():
    name = "北京师范大学内蒙古自治区少数民族地区专𠀀业技术人才特殊培养计划"
    assert len(name) == 31 and utf16_length(name) == 32
    sheet = safe_sheet_name(name, set())
    assert sheet == name[:30] and utf16_length(sheet) == 31
    assert utf16_prefix("ab𠀀", 4) == "ab𠀀" and utf16_prefix("ab𠀀", 3) == "ab"


def test_an_84_character_host_name_is_shortened_with_a_stable_hash():
    name = "北京师范大学" + "内蒙古自治区少数民族地区专业技术人才特殊培养计划" * 3 + "一"
    other = name[:-1] + "二"
    first, second = safe_filename(name, set()), safe_filename(other, set())
    assert first != second and first[:20] == second[:20]
    assert first == safe_filename(name, set()) and len(first.encode()) <= 255 - 40
    assert fit_name("短", 10) == "短" and fit_name("长" * 10, 12).startswith("长~")
