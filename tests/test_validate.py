from matcher.ingest.validate import check_round
from matcher.model import Applicant, Host, HostCatalogue, Quota, QuotaTable, Track

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
