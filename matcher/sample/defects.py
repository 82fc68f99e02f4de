"""The sample round: synthetic applicants, a handful of documented defects, the workbooks.

`build_sample_round` regenerates ``data/sample-2023`` byte for byte from its seed: the
regions' 附件3 workbooks and ``DEFECTS.md``, which lists every deliberate defect (file,
Excel row, column, the reader's stable code) and the applicants who are ineligible on
purpose (outcomes, not defects). Everything not listed there is clean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from matcher.model import HostCatalogue, Track
from matcher.sample.idcard import make_id
from matcher.sample.people import ThinGroup, generate_applicants
from matcher.sample.reference import load_hosts, load_quotas
from matcher.sample.workbooks import WrittenRound, write_region_workbooks

SAMPLE_SIZE = 200
SAMPLE_INELIGIBLE = 5
TYPO_HOST = ("中国农业大学", "中国农业大字")
# 兴安盟 and 阿拉善盟 send few applicants, all doctors who choose the two best-known hospitals
# of their track; those cannot take them all, so some are placed by adjustment (调剂) at
# another hospital and the round shows that path.
SAMPLE_THIN: tuple[ThinGroup, ...] = (
    ThinGroup("兴安盟", Track.OUT, "医疗卫生"),
    ThinGroup("阿拉善盟", Track.OUT, "医疗卫生"),
    ThinGroup("兴安盟", Track.IN, "医疗卫生"),
    ThinGroup("阿拉善盟", Track.IN, "医疗卫生"),
)

KIND_TEXT = {
    "over_age_out": ("AGE_OVER_LIMIT", "区外 applicant older than 45 on 2023-03-20"),
    "over_age_in": ("AGE_OVER_LIMIT", "区内 applicant older than 35 on 2023-03-20"),
    "not_minority_out": ("NOT_MINORITY", "汉族 applicant on the 区外 track (minorities only)"),
    "unqualified_in": (
        "QUALIFICATION_NOT_MET",
        "区内: 大学本科 with under 5 years in the profession and a 初级 title",
    ),
    "unqualified_out": ("QUALIFICATION_NOT_MET", "区外: 大学本科 (no master's) with a 中级 title"),
}


@dataclass(frozen=True)
class Defect:
    """One deliberate defect: where it is (row index of the frame, column) and what."""

    index: int
    column: str
    code: str
    what: str


@dataclass(frozen=True)
class _Plan:
    code: str
    unit: str
    track: Track
    column: str
    applies: Callable[[pd.Series], bool]


def _is_female_digit(row: pd.Series) -> bool:
    return row["性别"] == "女" and str(row["身份证号"])[-1].isdigit()


def _has_typo_target(row: pd.Series) -> bool:
    return TYPO_HOST[0] in {row["拟选培养单位1"], row["拟选培养单位2"], row["拟选培养单位3"]}


_PLANS = (
    _Plan("ID_CHECKSUM", "赤峰市", Track.OUT, "身份证号", lambda r: True),
    _Plan("ID_EXCEL_MANGLED", "通辽市", Track.IN, "身份证号", _is_female_digit),
    _Plan("ID_GENDER_MISMATCH", "兴安盟", Track.OUT, "身份证号", lambda r: r["性别"] == "男"),
    _Plan("DATE_INVALID", "鄂尔多斯市", Track.IN, "出生年月", lambda r: True),
    _Plan("YESNO_INVALID", "包头市", Track.IN, "是否接受调剂", lambda r: True),
    _Plan("REQUIRED_MISSING", "巴彦淖尔市", Track.OUT, "从事专业", lambda r: True),
    _Plan("HOST_UNKNOWN", "", Track.OUT, "", _has_typo_target),
    _Plan(
        "HOST_OTHER_TRACK",
        "阿拉善盟",
        Track.OUT,
        "拟选培养单位2",
        lambda r: r["拟选培养单位2"] != "",
    ),
)


def _apply(plan: _Plan, frame: pd.DataFrame, index: int, hosts: HostCatalogue) -> Defect:
    row = frame.loc[index]
    number = str(row["身份证号"])
    if plan.code == "ID_CHECKSUM":
        right = number[-1]
        wrong = "5" if right == "X" else str((int(right) + 3) % 10)
        frame.loc[index, "身份证号"] = number[:-1] + wrong
        return Defect(
            index, plan.column, plan.code, f"check digit is {wrong}, the correct one is {right}"
        )
    if plan.code == "ID_EXCEL_MANGLED":
        mangled = int(number[:15]) * 1000
        frame.loc[index, "身份证号"] = float(mangled)
        return Defect(
            index,
            plan.column,
            plan.code,
            f"a number cell, not text: Excel kept 15 digits ({mangled}); the last three are lost",
        )
    if plan.code == "ID_GENDER_MISMATCH":
        sequence = int(number[14:17]) ^ 1
        birth = pd.Timestamp(f"{number[6:10]}-{number[10:12]}-{number[12:14]}").date()
        frame.loc[index, "身份证号"] = make_id(number[:6], birth, sequence)
        return Defect(
            index,
            plan.column,
            plan.code,
            "性别 is 男 but the ID's 17th digit is even (女); check digit correct",
        )
    if plan.code == "DATE_INVALID":
        bad = f"{str(row['出生年月'])[:4]}.13"
        frame.loc[index, "出生年月"] = bad
        return Defect(index, plan.column, plan.code, f"出生年月 is {bad}: there is no month 13")
    if plan.code == "YESNO_INVALID":
        frame.loc[index, "是否接受调剂"] = "看情况"
        return Defect(index, plan.column, plan.code, "是否接受调剂 is 看情况, neither yes nor no")
    if plan.code == "REQUIRED_MISSING":
        frame.loc[index, "从事专业"] = ""
        return Defect(index, plan.column, plan.code, "从事专业 is empty")
    if plan.code == "HOST_UNKNOWN":
        column = next(
            c for c in ("拟选培养单位1", "拟选培养单位2", "拟选培养单位3") if row[c] == TYPO_HOST[0]
        )
        frame.loc[index, column] = TYPO_HOST[1]
        return Defect(
            index, column, plan.code, f"{TYPO_HOST[1]} is no host (a typo of {TYPO_HOST[0]})"
        )
    if plan.code == "HOST_OTHER_TRACK":
        taken = {row["拟选培养单位1"], row["拟选培养单位3"]}
        inside = [h.name for h in hosts.hosts if h.track is Track.IN and h.name not in taken]
        frame.loc[index, plan.column] = inside[0]
        return Defect(
            index, plan.column, plan.code, f"a 区外 applicant chose {inside[0]}, a 区内 host"
        )
    raise ValueError(plan.code)  # pragma: no cover


def plant_defects(
    frame: pd.DataFrame, seed: int, hosts: HostCatalogue
) -> tuple[pd.DataFrame, list[Defect]]:
    """Return a copy of `frame` with the sample round's defects planted, and their list.

    Defects go to distinct, otherwise clean rows (never a planted ineligible applicant or
    one with a 预先接收单位). DUPLICATE_PERSON copies a 呼伦贝尔市 区外 applicant to the end
    of 满洲里市's 区外 rows (both rows are listed).
    """
    rng = np.random.default_rng([seed, 7])
    out = frame.copy()
    out["身份证号"] = out["身份证号"].astype(object)  # one cell becomes a number
    out.attrs = dict(frame.attrs)
    used: set[int] = set(frame.attrs.get("kinds", {}))
    defects: list[Defect] = []

    def candidates(unit: str, track: Track, applies: Callable[[pd.Series], bool]) -> list[int]:
        rows = []
        for position in rng.permutation(len(out)):
            row = out.iloc[int(position)]
            index = out.index[int(position)]
            if int(index) in used or row["预先接收单位"] != "":
                continue
            if row["培养方式"] != f"{track.value}培养" or (unit and row["选派地区"] != unit):
                continue
            if applies(row):
                rows.append(int(index))
        return rows

    for plan in _PLANS:
        found = candidates(plan.unit, plan.track, plan.applies)
        if not found:
            raise LookupError(f"no row for {plan.code}; change the seed or the size")
        used.add(found[0])
        defects.append(_apply(plan, out, found[0], hosts))
    source = candidates("呼伦贝尔市", Track.OUT, lambda r: True)[0]
    used.add(source)
    copy = out.loc[[source]].copy()
    copy["选派地区"] = "满洲里市"
    copy.index = pd.Index([int(out.index.max()) + 1])
    out = pd.concat([out, copy])
    out.attrs = dict(frame.attrs)
    what = "the same person (same 身份证号) is in 呼伦贝尔市's and 满洲里市's 区外 tables"
    defects.append(Defect(source, "身份证号", "DUPLICATE_PERSON", what))
    defects.append(Defect(int(copy.index[0]), "身份证号", "DUPLICATE_PERSON", what))
    return out, defects


@dataclass(frozen=True)
class SampleRound:
    """What `build_sample_round` wrote."""

    frame: pd.DataFrame
    written: WrittenRound
    defects: tuple[Defect, ...]
    markdown: Path


def defects_markdown(
    frame: pd.DataFrame, written: WrittenRound, defects: list[Defect], seed: int
) -> str:
    """Return the text of DEFECTS.md: defects, then the ineligible-on-purpose rows."""
    lines = [
        "# Defects of the sample round 2023 (deliberate)",
        "",
        f"Generated by `python -m matcher.sample --out data/sample-2023 --seed {seed}` "
        "(byte-identical on every run). All people are synthetic.",
        "",
        "Every row below is wrong on purpose; `matcher validate` must report exactly these",
        "(file, Excel row, column, code). Everything else in the workbooks is valid, however",
        "untidy (header spellings, date forms, 是/√/同意/服从, spaces in names, full-width",
        "digits).",
        "",
        "| file | Excel row | column | code | what is wrong |",
        "|---|---|---|---|---|",
    ]
    for defect in defects:
        file, row = written.rows[defect.index]
        lines.append(f"| {file} | {row} | {defect.column} | {defect.code} | {defect.what} |")
    lines += [
        "",
        "## Ineligible on purpose (outcomes, not defects)",
        "",
        "These rows are valid data; the eligibility rules of the notice exclude them (they are",
        "not issues of `matcher validate`; `matcher run` marks them `ineligible`).",
        "",
        "| applicant (file:Excel row) | expected reason code | why |",
        "|---|---|---|",
    ]
    kinds: dict[int, str] = frame.attrs.get("kinds", {})
    for index in sorted(kinds, key=lambda i: written.rows[i]):
        file, row = written.rows[index]
        code, why = KIND_TEXT[kinds[index]]
        lines.append(f"| {file}:{row} | {code} | {why} |")
    lines += [
        "",
        "## Pre-arranged acceptances (预先接收单位 = first choice; not defects)",
        "",
        "| applicant (file:Excel row) | host |",
        "|---|---|",
    ]
    for index, host in zip(frame.index, frame["预先接收单位"], strict=True):
        if host:
            file, row = written.rows[int(index)]
            lines.append(f"| {file}:{row} | {host} |")
    return "\n".join(lines) + "\n"


def build_sample_round(
    out_dir: Path,
    *,
    seed: int = 2023,
    n: int = SAMPLE_SIZE,
    ineligible: int = SAMPLE_INELIGIBLE,
    thin: tuple[ThinGroup, ...] = SAMPLE_THIN,
) -> SampleRound:
    """Write the sample round to `out_dir`: the workbooks and DEFECTS.md.

    Old ``*.xlsx`` files in `out_dir` are removed first, so the folder holds exactly one
    round. The same arguments give byte-identical files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.xlsx"):
        old.unlink()
    hosts = load_hosts()
    frame = generate_applicants(
        n, seed, hosts=hosts, quotas=load_quotas(), ineligible=ineligible, thin=thin
    )
    planted, defects = plant_defects(frame, seed, hosts)
    written = write_region_workbooks(planted, out, seed=seed)
    markdown = out / "DEFECTS.md"
    markdown.write_text(defects_markdown(planted, written, defects, seed), encoding="utf-8")
    return SampleRound(planted, written, tuple(defects), markdown)
