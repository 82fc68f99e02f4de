"""A small, realistic RunResult built by hand: 13 applicant rows, 2 tracks, 3 regions,
4 hosts, every status, a hostile name, invalid and ineligible rows, one adjustment."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from matcher.engine.result import Outcome, RunResult, SolverReport
from matcher.model import (
    Applicant,
    Education,
    Host,
    HostCatalogue,
    InputFile,
    Issue,
    Quota,
    QuotaTable,
    Round,
    Severity,
    Status,
    TitleGrade,
    Track,
)

HOSTILE = '=HYPERLINK("http://x","y")'
HOSTILE_UNMATCHED = "@SUM(1+1)"
OUT_FILE = "呼和浩特市_区外.xlsx"
IN_FILE = "applicants_区内.csv"

HOSTS = (
    Host(
        name="北京大学医学部",
        track=Track.OUT,
        location="北京",
        capacity=1,
        fields=("医疗卫生",),
        aliases=("北大医学部",),
    ),
    Host(
        name="中国农业大学",
        track=Track.OUT,
        location="北京",
        capacity=2,
        fields=("农学", "畜牧兽医"),
    ),
    Host(
        name="内蒙古大学",
        track=Track.IN,
        location="呼和浩特",
        capacity=3,
        fields=("信息技术", "生态环保", "教育"),
    ),
    Host(
        name="内蒙古农业大学",
        track=Track.IN,
        location="呼和浩特",
        capacity=2,
        fields=("农学", "畜牧兽医", "林草"),
    ),
)
QUOTAS = (
    Quota(region="呼和浩特市", track=Track.OUT, places=2),
    Quota(region="呼和浩特市", track=Track.IN, places=2),
    Quota(region="兴安盟", track=Track.OUT, places=1),
    Quota(region="兴安盟", track=Track.IN, places=2),
    Quota(region="锡林郭勒盟", track=Track.OUT, places=2),
    Quota(region="锡林郭勒盟", track=Track.IN, places=1),
)

BAD_ID = Issue(
    file=IN_FILE,
    row=7,
    column="身份证号",
    code="ID_CHECKSUM",
    severity=Severity.ERROR,
    message="身份证号150102198503019999校验位不正确，请核对后重新填写",
)
NO_BIRTH = Issue(
    file=OUT_FILE,
    row=9,
    column="出生年月",
    code="MISSING_BIRTH",
    severity=Severity.ERROR,
    message="出生年月为空，请按“1985.03”格式填写",
)
PHONE_WARN = Issue(
    file=IN_FILE,
    row=2,
    column="联系方式(手机号码)",
    code="PHONE_FORMAT",
    severity=Severity.WARNING,
    message="手机号码不是11位，请核对",
)
FILE_WARN = Issue(
    file=IN_FILE,
    row=None,
    column=None,
    code="EXTRA_SHEET",
    severity=Severity.WARNING,
    message="工作表“填表说明”不是数据，已跳过",
)


def person(
    file: str, row: int, name: str, track: Track, region: str | None, **kw: object
) -> Applicant:
    base: dict[str, object] = dict(
        key=f"{file}:{row}",
        source_file=file,
        source_row=row,
        name=name,
        gender="男",
        ethnicity="蒙古族",
        birth=date(1985, 3, 1),
        employer="某旗人民医院",
        work_start=date(2008, 7, 1),
        profession="临床医学",
        field="医疗卫生",
        education=Education.MASTER,
        education_text="硕士研究生",
        graduation_year=2008,
        title="副主任医师",
        title_grade=TitleGrade.ASSOCIATE_SENIOR,
        phone=f"139{row:08d}",
        id_number=f"15010219850301{row:04d}",
        sending_unit=region,
        region=region,
        track=track,
    )
    base.update(kw)
    return Applicant(**base)  # type: ignore[arg-type]


def build_result() -> RunResult:
    out, inn = Track.OUT, Track.IN
    rows: list[tuple[Applicant, Outcome]] = []

    def add(
        applicant: Applicant,
        status: Status,
        host: str | None = None,
        rank: int | None = None,
        code: str = "",
        reason: str = "",
        remedy: str = "",
    ) -> None:
        rows.append(
            (
                applicant,
                Outcome(
                    key=applicant.key,
                    status=status,
                    host=host,
                    choice_rank=rank,
                    reason_code=code,
                    reason=reason,
                    remedy=remedy,
                ),
            )
        )

    add(
        person(
            OUT_FILE, 4, "巴特尔", out, "呼和浩特市", choices=("北京大学医学部", "中国农业大学")
        ),
        Status.PLACED,
        "北京大学医学部",
        1,
    )
    add(
        person(
            OUT_FILE,
            5,
            HOSTILE,
            out,
            "兴安盟",
            field="畜牧兽医",
            profession="兽医",
            choices=("北大医学部",),
            accepts_adjustment=True,
            grassroots=True,
        ),
        Status.ADJUSTED,
        "中国农业大学",
        None,
        "ADJUSTED",
        "按调剂意愿调剂至专业对口的培养单位",
    )
    add(
        person(
            OUT_FILE,
            6,
            "其其格",
            out,
            "锡林郭勒盟",
            sending_unit="二连浩特市",
            gender="女",
            field="农学",
            profession="农艺",
            choices=("北京大学医学部", "中国农业大学"),
        ),
        Status.PLACED,
        "中国农业大学",
        2,
    )
    add(
        person(OUT_FILE, 7, "乌云", out, "呼和浩特市", gender="女", choices=("北京大学医学部",)),
        Status.UNMATCHED,
        None,
        None,
        "HOST_FULL",
        "所选培养单位名额已满（北京大学医学部 1 人）",
        "选择接收名额未满的培养单位，或同意调剂",
    )
    add(
        person(OUT_FILE, 8, "张伟", out, "兴安盟", ethnicity="汉族", choices=("中国农业大学",)),
        Status.INELIGIBLE,
        None,
        None,
        "NOT_MINORITY",
        "区外培养仅选拔少数民族专业技术人才（民族：汉族）",
        "区外培养仅限少数民族；可改报区内培养",
    )
    add(
        person(
            OUT_FILE,
            9,
            "",
            out,
            "锡林郭勒盟",
            birth=None,
            id_number=None,
            phone=None,
            choices=("中国农业大学",),
            problems=(NO_BIRTH,),
        ),
        Status.INVALID,
    )
    add(
        person(
            IN_FILE,
            2,
            "阿拉坦",
            inn,
            "呼和浩特市",
            field="信息技术",
            profession="软件工程",
            phone="1391234",
            choices=("内蒙古大学",),
            problems=(PHONE_WARN,),
        ),
        Status.PLACED,
        "内蒙古大学",
        1,
    )
    add(
        person(
            IN_FILE,
            3,
            "萨仁",
            inn,
            "呼和浩特市",
            gender="女",
            field="林草",
            profession="林学",
            choices=("内蒙古大学",),
            prearranged="内蒙古农业大学",
            unit_type="民营企业",
        ),
        Status.PLACED,
        "内蒙古农业大学",
        None,
        "PREARRANGED",
        "培养单位已同意接收（预先接收）",
    )
    add(
        person(
            IN_FILE,
            4,
            "宝音",
            inn,
            "兴安盟",
            field="教育",
            profession="中学教育",
            choices=("内蒙古农业大学", "北京大学医学部", "内蒙古大学"),
        ),
        Status.PLACED,
        "内蒙古大学",
        3,
    )
    add(
        person(
            IN_FILE,
            5,
            "李娜",
            inn,
            "兴安盟",
            ethnicity="汉族",
            gender="女",
            field="畜牧兽医",
            profession="畜牧",
            choices=("内蒙古大学", "内蒙古农业大学"),
        ),
        Status.PLACED,
        "内蒙古农业大学",
        2,
    )
    add(
        person(
            IN_FILE,
            6,
            HOSTILE_UNMATCHED,
            inn,
            "兴安盟",
            field="教育",
            choices=("内蒙古大学",),
            accepts_adjustment=False,
        ),
        Status.UNMATCHED,
        None,
        None,
        "QUOTA_FULL",
        "兴安盟区内培养名额（2 人）已用完",
        "向兴安盟争取更多名额，或由名额有余的地区调配",
    )
    add(
        person(
            IN_FILE,
            7,
            "王芳",
            inn,
            "锡林郭勒盟",
            id_number="150102198503019999",
            choices=("内蒙古大学",),
            problems=(BAD_ID,),
        ),
        Status.INVALID,
    )
    add(
        person(
            IN_FILE, 8, "刘洋", inn, "锡林郭勒盟", birth=date(1980, 1, 1), choices=("内蒙古大学",)
        ),
        Status.INELIGIBLE,
        None,
        None,
        "AGE_OVER_LIMIT",
        "年龄超过35周岁（以2023-03-20计为43周岁）",
        "区内培养限35周岁以下",
    )

    rnd = Round(
        applicants=tuple(a for a, _ in rows),
        catalogue=HostCatalogue(hosts=HOSTS),
        quotas=QuotaTable(quotas=QUOTAS),
        issues=(FILE_WARN, NO_BIRTH, PHONE_WARN, BAD_ID),
        inputs=(InputFile(path=OUT_FILE, role="applicants", sha256="0" * 64),),
    )
    solver = SolverReport(
        mechanism="optimal",
        status="optimal",
        objective={
            "placed_at_choice": 6,
            "priority_placed_at_choice": 1,
            "first_choice": 2,
            "second_choice": 2,
            "adjusted": 1,
            "priority_adjusted": 1,
            "priority_order": 99,
        },
        proof={
            "method": "lexicographic min-cost flow",
            "stages": [
                {
                    "names": ["placed_at_choice"],
                    "weights": [1],
                    "values": [6],
                    "potentials": np.arange(7, dtype=np.int64),
                }
            ],
        },
        verification={"ok": True, "checks": ["capacity", "quota"], "duals": np.zeros(3)},
    )
    manifest = {
        "seed": 2023,
        "inputs": [{"path": OUT_FILE, "sha256": "0" * 64}],
        "versions": {"matcher": "0.1.0"},
    }
    return RunResult(
        round=rnd, outcomes=tuple(o for _, o in rows), solver=solver, manifest=manifest
    )


@pytest.fixture(scope="session")
def result() -> RunResult:
    return build_result()


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory, result: RunResult):
    from matcher.report.write import write_outputs

    out = tmp_path_factory.mktemp("run") / "out"
    paths = write_outputs(result, out)
    return out, paths


def lookup(document: dict, key: str) -> object:
    """The value at the dotted `key` in `document` (names may themselves contain dots)."""
    node: object = document
    parts = key.split(".")
    while parts:
        assert isinstance(node, dict), key
        for size in range(len(parts), 0, -1):
            name = ".".join(parts[:size])
            if name in node:
                node, parts = node[name], parts[size:]
                break
        else:
            raise KeyError(key)
    return node
