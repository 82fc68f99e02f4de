from matcher.report.naming import display_width, safe_filename, safe_sheet_name


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
