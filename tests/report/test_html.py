import json
import re
from html.parser import HTMLParser

from matcher.report.mask import mask_id, mask_phone
from tests.report.conftest import HOSTILE, HOSTILE_UNMATCHED, lookup


class _Keys(HTMLParser):
    """Collects (data-key, text) pairs and every tag/attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.keys: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("meta", "br", "rect", "line"):
            return
        key = dict(attrs).get("data-key")
        self.stack.append(key)
        if key:
            self.keys[key] = ""

    def handle_endtag(self, tag):
        if tag in ("meta", "br", "rect", "line"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        for key in self.stack:
            if key:
                self.keys[key] += data


def parse(text: str) -> _Keys:
    parser = _Keys()
    parser.feed(text)
    return parser


def test_every_marked_figure_matches_result_json(written):
    out, _ = written
    document = json.loads((out / "result.json").read_text("utf-8"))
    parser = parse((out / "report.html").read_text("utf-8"))
    assert len(parser.keys) > 50
    for key, text in parser.keys.items():
        assert key.split(".")[0] in ("summary", "solver"), key
        assert text.replace(",", "").strip() == str(lookup(document, key)), key
    for path in (
        "summary.status.placed",
        "summary.rank.first",
        "summary.funding.total.total",
        "summary.issues.total",
        "summary.regions.兴安盟.区内.unused",
        "summary.hosts.内蒙古大学.filled",
        "solver.status",
    ):
        assert path in parser.keys, path


def test_page_is_self_contained(written):
    out, _ = written
    text = (out / "report.html").read_text("utf-8")
    assert '<html lang="zh-CN">' in text and '<meta charset="utf-8">' in text
    parser = parse(text)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "link", "img", "iframe"), tag
        for name, value in attrs.items():
            if name in ("src", "href"):
                raise AssertionError(f"external reference {tag} {name}={value}")
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "").replace("http://x", "")
    assert "<svg" in text and "Microsoft YaHei" in text


def test_hostile_names_are_text(written):
    out, _ = written
    text = (out / "report.html").read_text("utf-8")
    assert HOSTILE not in text  # raw quotes never reach the page
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in text
    assert HOSTILE_UNMATCHED in text


def test_ids_and_phones_are_masked(result, written):
    out, _ = written
    text = (out / "report.html").read_text("utf-8")
    for applicant in result.round.applicants:
        if applicant.id_number:
            assert applicant.id_number not in text
        if applicant.phone:
            assert applicant.phone not in text
    placed = result.round.applicants[0]
    assert mask_id(placed.id_number) in text and mask_phone(placed.phone) in text
    assert not re.search(r"\d{11}", text)


def test_groups_with_no_quota_and_no_applicants_are_not_drawn(result):
    from matcher.model import Quota, Track
    from matcher.report.data import prepare
    from matcher.report.page import report_html

    extra = Quota(region="区直", track=Track.IN, places=0)
    quotas = result.round.quotas.model_copy(
        update={"quotas": (*result.round.quotas.quotas, extra)}
    )
    round_ = result.round.model_copy(update={"quotas": quotas})
    page = report_html(prepare(result.model_copy(update={"round": round_}))).decode()
    keys = parse(page).keys
    assert "summary.regions.区直.区内.quota" not in keys
    assert "summary.regions.兴安盟.区内.quota" in keys
