import re
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.ingest import validate
from matcher.ingest.validate import NAMED_OTHERS, check_round
from matcher.model import Applicant, Applicants, Host, HostCatalogue, Quota, QuotaTable, Track

CATALOGUE = HostCatalogue(
    hosts=(
        Host(name="中国农业大学", track=Track.OUT, capacity=2, fields=("农学", "畜牧兽医")),
        Host(
            name="北京协和医院",
            track=Track.OUT,
            capacity=1,
            fields=("医疗卫生",),
            aliases=("协和医院",),
        ),
        Host(name="内蒙古大学", track=Track.IN, capacity=3, fields=("教育", "信息技术")),
    )
)
QUOTAS = QuotaTable(
    quotas=(
        Quota(region="赤峰市", track=Track.OUT, places=2),
        Quota(region="赤峰市", track=Track.IN, places=3),
    )
)


def person(row, **kw):
    base = dict(
        key=f"a.xlsx:{row}",
        source_file="a.xlsx",
        source_row=row,
        name=f"人{row}",
        region="赤峰市",
        track=Track.OUT,
        field="农学",
        choices=("中国农业大学",),
    )
    base.update(kw)
    return Applicant(**base)


def found(issues):
    return {(i.file, i.row, i.column, i.code) for i in issues}


def test_clean_round_has_no_issue():
    # the alias 协和医院 resolves; quotas (2 + 3) fit the capacities (3 + 3)
    issues = check_round(
        [person(5), person(6, choices=("协和医院",), field="医疗卫生")], CATALOGUE, QUOTAS
    )
    assert issues == []


def test_unknown_host_suggests_the_closest_names():
    issues = check_round([person(7, choices=("中国农业大字",))], CATALOGUE, QUOTAS)
    (issue,) = [i for i in issues if i.code == "HOST_UNKNOWN"]
    assert (issue.row, issue.column) == (7, "拟选培养单位1")
    assert "中国农业大学" in issue.message


def test_other_track_host_and_field_mismatch():
    issues = check_round([person(8, choices=("北京协和医院", "内蒙古大学"))], CATALOGUE, QUOTAS)
    assert found(issues) >= {
        ("a.xlsx", 8, "拟选培养单位1", "CHOICE_FIELD_MISMATCH"),
        ("a.xlsx", 8, "拟选培养单位2", "HOST_OTHER_TRACK"),
    }


def test_same_id_in_two_files_is_reported_on_both_rows():
    ident = "150402198503051234"
    a = person(9, id_number=ident)
    b = person(4, id_number=ident, key="b.xlsx:4", source_file="b.xlsx")
    issues = [i for i in check_round([a, b], CATALOGUE, QUOTAS) if i.code == "DUPLICATE_PERSON"]
    assert {(i.file, i.row) for i in issues} == {("a.xlsx", 9), ("b.xlsx", 4)}
    assert ident not in " ".join(i.message for i in issues)


def test_many_rows_of_one_id_cost_one_short_issue_each():
    # 10,000 rows of one ID once took 10.7 GB: each message named every other row
    ident = "150402198503051234"
    one = person(2, id_number=ident)
    rows = [
        one.model_copy(update={"key": f"a.xlsx:{r}", "source_row": r}) for r in range(2, 20_002)
    ]
    tracemalloc.start()
    try:
        issues = [i for i in check_round(rows, CATALOGUE, QUOTAS) if i.code == "DUPLICATE_PERSON"]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(i.file, i.row) for i in issues] == [(a.source_file, a.source_row) for a in rows]
    assert peak < 100 * 2**20  # the old messages alone were 20,000² places
    named = [re.findall(r"第(\d+)行", i.message) for i in issues]
    assert all(len(places) == NAMED_OTHERS for places in named)
    assert all(str(i.row) not in places for i, places in zip(issues, named, strict=True))
    assert all(f"等共{len(rows) - 1}行" in i.message for i in issues)
    assert max(len(i.message) for i in issues) < 200


def test_a_few_rows_of_one_id_name_each_other_in_full():
    ident = "150402198503051234"
    rows = [person(r, id_number=ident) for r in range(2, 2 + NAMED_OTHERS + 1)]
    issues = [i for i in check_round(rows, CATALOGUE, QUOTAS) if i.code == "DUPLICATE_PERSON"]
    for issue in issues:
        others = {int(r) for r in re.findall(r"第(\d+)行", issue.message)}
        assert others == {a.source_row for a in rows} - {issue.row}
        assert "等共" not in issue.message


def test_region_missing_from_quotas_and_quota_over_capacity():
    issues = check_round([person(3, region="包头市")], CATALOGUE, QUOTAS, quota_file="q.csv")
    assert ("a.xlsx", 3, "选派地区", "REGION_NOT_IN_QUOTAS") in found(issues)
    big = QuotaTable(quotas=(Quota(region="赤峰市", track=Track.OUT, places=9),))
    issues = check_round([], CATALOGUE, big, quota_file="q.csv")
    assert found(issues) == {("q.csv", None, "区外名额", "QUOTA_EXCEEDS_CAPACITY")}


def test_copied_catalogue_resolves_its_own_hosts():
    assert CATALOGUE.resolve("内蒙古大学").capacity == 3  # fills the cache
    bigger = tuple(h.model_copy(update={"capacity": h.capacity + 2}) for h in CATALOGUE.hosts)
    copy = CATALOGUE.model_copy(update={"hosts": bigger})
    assert copy.resolve("内蒙古大学").capacity == 5
    assert CATALOGUE.resolve("内蒙古大学").capacity == 3
    assert QUOTAS.places("赤峰市", Track.OUT) == 2  # fills the cache
    nine = (Quota(region="赤峰市", track=Track.OUT, places=9),)
    assert QUOTAS.model_copy(update={"quotas": nine}).places("赤峰市", Track.OUT) == 9


#: Written names: hosts of each track, an alias, spacing and case, no host, nothing.
WRITTEN = (
    "中国农业大学",
    "协和医院",
    "北京协和医院 ",
    "内蒙古大学",
    "无名学院",
    "",
    "没有专业的学院",
)
WITHOUT_FIELDS = HostCatalogue(
    hosts=(*CATALOGUE.hosts, Host(name="没有专业的学院", track=Track.IN, capacity=1))
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(WRITTEN), max_size=4),
            st.sampled_from((Track.OUT, Track.IN, None)),
            st.sampled_from(("农学", "教育", "医疗卫生", "", None)),
            st.sampled_from((None, "", *WRITTEN)),
        ),
        max_size=12,
    )
)
def test_the_findings_over_columns_are_the_row_checks(rows):
    people = [
        person(k + 2, choices=tuple(c), track=t, field=f, prearranged=p)
        for k, (c, t, f, p) in enumerate(rows)
    ]
    suggest = validate._suggester(WITHOUT_FIELDS)
    expected = [bool(validate._choice_issues(a, WITHOUT_FIELDS, suggest)) for a in people]
    assert validate._choice_findings(people, WITHOUT_FIELDS).tolist() == expected
    table = Applicants.from_rows(people)
    assert validate._choice_findings(table, WITHOUT_FIELDS).tolist() == expected
