"""Eligibility of the notice, by track, on the round's reference date.

Each failed rule is a `Reason` with a stable code and a Chinese text that names the
figure, e.g. 年龄超过45周岁（以2023-03-20计为46周岁）. Missing data is not judged here:
a row without a birth date is `invalid` (see ingest), not ineligible.

Dates (contract, "Dates"): ages and years in the profession are full years on the
reference date, counted from the exact day where it is known (the birth date of a valid
身份证号, a written day). Where only the month is known, the applicant has the benefit of
the doubt: the age is counted from the last day of the birth month (the youngest they can
be), the years from the first day of the month they started (the longest they can have
worked), and a reason that still fails says so. "45周岁以下" is an age of 45 or under;
"8年以上" is at least 8 full years.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd

from matcher.model import Applicant, Education, Reason, Rules, TitleGrade, Track
from matcher.store import column

_EDUCATION_NAMES = {3: "大学本科", 4: "硕士研究生", 5: "博士研究生"}
_TITLE_NAMES = {
    TitleGrade.INTERMEDIATE: "中级",
    TitleGrade.ASSOCIATE_SENIOR: "副高级",
    TitleGrade.SENIOR: "正高级",
}


class Facts(Protocol):
    """What eligibility reads of a row: an `Applicant`, or the judge's few facts of one."""

    @property
    def track(self) -> Track | None:
        """培养方式 (None: unknown)."""

    @property
    def region(self) -> str | None:
        """The quota region."""

    @property
    def birth(self) -> date | None:
        """The birth date (its month's 1st when not exact)."""

    @property
    def birth_exact(self) -> bool:
        """Whether the birth day is known."""

    @property
    def work_start(self) -> date | None:
        """参加工作时间 (its month's 1st when not exact)."""

    @property
    def work_start_exact(self) -> bool:
        """Whether the day work started is known."""

    @property
    def education(self) -> Education:
        """The level of education."""

    @property
    def education_text(self) -> str | None:
        """学历 as written."""

    @property
    def title(self) -> str | None:
        """职称 as written."""

    @property
    def title_grade(self) -> TitleGrade:
        """The grade of the title."""

    @property
    def ethnicity(self) -> str | None:
        """民族."""

    @property
    def health_issue(self) -> bool | None:
        """健康状况: True when 有."""

    @property
    def prior_participation(self) -> bool | None:
        """是否参加过特培学习."""


def age_on(birth: date, day: date) -> int:
    """Completed years (周岁) of someone born on `birth`, on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_between(start: date, day: date) -> int:
    """Completed years from `start` to `day` (years in the profession)."""
    return max(0, age_on(start, day))


def youngest_birth(applicant: Facts) -> date | None:
    """The birth date the age is counted from: the last day of the month when not exact."""
    birth = applicant.birth
    return None if birth is None else youngest_day(birth, applicant.birth_exact)


def youngest_day(birth: date, exact: bool) -> date:
    """`birth`, or the last day of its month when only the month is known (not `exact`)."""
    return birth if exact else birth.replace(day=calendar.monthrange(birth.year, birth.month)[1])


def earliest_start(applicant: Facts) -> date | None:
    """The start the years are counted from: the 1st of the month when not exact."""
    start = applicant.work_start
    return None if start is None else earliest_day(start, applicant.work_start_exact)


def earliest_day(start: date, exact: bool) -> date:
    """`start`, or the 1st of its month when only the month is known (not `exact`)."""
    return start if exact else start.replace(day=1)


def age_of(applicant: Facts, day: date) -> int | None:
    """Age in full years on `day`, with the benefit of the doubt (None: no birth date)."""
    birth = youngest_birth(applicant)
    return None if birth is None else age_on(birth, day)


def years_of(applicant: Facts, day: date) -> int | None:
    """Full years in the profession on `day`, with the benefit of the doubt (None: unknown)."""
    start = earliest_start(applicant)
    return None if start is None else years_between(start, day)


def lenient_note(applicant: Applicant, rules: Rules) -> str:
    """What the benefit of the doubt decided for `applicant`: "" when it decided nothing.

    A note names each limit the applicant meets only because a date is known to the month
    (the age counted from the month's last day, the years from its 1st) and the figure of
    the strict reading, e.g. 出生日期仅知到月：按该月最后一天计为45周岁，符合45周岁以下的条件
    （按该月1日计为46周岁），请核实.
    """
    track = applicant.track
    if track is None:
        return ""
    day = rules.reference_date
    notes = []
    limit = rules.age_limit.get(track)
    birth = applicant.birth
    if limit is not None and birth is not None and not applicant.birth_exact:
        lenient, strict = age_of(applicant, day), age_on(birth.replace(day=1), day)
        if lenient is not None and lenient <= limit < strict:
            notes.append(
                f"出生日期仅知到月：按该月最后一天计为{lenient}周岁，符合{limit}周岁以下的条件"
                f"（按该月1日计为{strict}周岁），请核实"
            )
    start = applicant.work_start
    need = rules.min_years[track]
    if (
        start is not None
        and not applicant.work_start_exact
        and applicant.title_grade < rules.min_title[track]
        and applicant.education >= rules.min_education[track]
    ):
        last = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        lenient, strict = years_of(applicant, day), years_between(last, day)
        if lenient is not None and strict < need <= lenient:
            notes.append(
                f"参加工作时间仅知到月：按该月1日计从事本专业{lenient}年，符合{need}年以上的条件"
                f"（按该月最后一天计为{strict}年），请核实"
            )
    return "；".join(notes)


def lenient_notes(applicants: Sequence[Applicant], rules: Rules) -> dict[int, str]:
    """`lenient_note` of every applicant it says something of, by position.

    Only a date known to the month whose month is the reference date's can be read two
    ways on that day, so only those applicants are judged (a C-level pass finds them).
    """
    month = rules.reference_date.month
    found = np.zeros(len(applicants), dtype=bool)
    for name in ("birth", "work_start"):
        exact = np.fromiter(column(applicants, f"{name}_exact"), bool, len(applicants))
        if exact.all():
            continue
        days = np.fromiter(column(applicants, name), object, len(applicants))
        codes, uniques = pd.factorize(days)  # None → -1, the last entry of `hit`
        hit = np.array([d.month == month for d in uniques] + [False], dtype=bool)
        found |= ~exact & hit[codes]
    notes = {i: lenient_note(applicants[i], rules) for i in np.flatnonzero(found).tolist()}
    return {i: note for i, note in notes.items() if note}


def is_minority(ethnicity: str | None) -> bool:
    """True for any 民族 other than 汉族 (an unknown 民族 is not a minority)."""
    if not ethnicity:
        return False
    text = ethnicity.strip()
    return text not in ("汉", "汉族")


def is_priority(applicant: Applicant, rules: Rules) -> bool:
    """基层 or 非公 (by 单位性质): the notice's priority applicants."""
    return applicant.grassroots or rules.is_non_public(applicant.unit_type)


def eligibility(applicant: Facts, rules: Rules) -> tuple[Reason, ...]:
    """Every rule of the notice `applicant` fails on `rules.reference_date` (empty: eligible).

    Steps: region has places on the track; age limit; qualification (education and years
    in the profession, or title grade); minority for tracks that require it; health and
    prior participation where the rules exclude them.
    """
    track = applicant.track
    if track is None:
        return ()
    day = rules.reference_date
    reasons: list[Reason] = []
    if track is Track.IN and applicant.region in rules.regions_without_in_track:
        reasons.append(
            Reason(
                code="NO_IN_REGION_TRACK",
                message=f"{applicant.region}无区内培养名额（区内培养仅面向盟市及以下）",
            )
        )
    limit = rules.age_limit.get(track)
    age = age_of(applicant, day)
    if limit is not None and age is not None and age > limit:
        doubt = ""
        if not applicant.birth_exact:
            counted = youngest_birth(applicant)
            doubt = f"；出生日期仅知到月，已按该月最后一天（{counted}）从宽计算"
        reasons.append(
            Reason(
                code="AGE_OVER_LIMIT",
                message=f"年龄超过{limit}周岁（以{day.isoformat()}计为{age}周岁{doubt}）",
            )
        )
    if not _qualified(applicant, rules, track, day):
        edu = _EDUCATION_NAMES.get(int(rules.min_education[track]), "规定")
        title = _TITLE_NAMES.get(rules.min_title[track], "规定")
        years = years_of(applicant, day)
        have = f"（现为{applicant.education_text or '学历不详'}"
        have += f"、从事本专业{years}年" if years is not None else "、工作年限不详"
        if years is not None and not applicant.work_start_exact:
            have += "（参加工作时间仅知到月，已按该月1日从宽计算）"
        have += f"、职称{applicant.title or '无'}）"
        reasons.append(
            Reason(
                code="QUALIFICATION_NOT_MET",
                message=(
                    f"不符合{track.value}培养条件：须{edu}及以上学历且从事本专业工作"
                    f"{rules.min_years[track]}年以上，或具备{title}及以上职称{have}"
                ),
            )
        )
    if rules.minority_required.get(track) and not is_minority(applicant.ethnicity):
        reasons.append(
            Reason(
                code="NOT_MINORITY",
                message=(
                    f"{track.value}培养仅选拔少数民族专业技术人才"
                    f"（民族：{applicant.ethnicity or '未填'}）"
                ),
            )
        )
    if rules.exclude_health_issue and applicant.health_issue:
        reasons.append(
            Reason(
                code="HEALTH",
                message="健康状况填“有”：有影响正常培训的疾病史，不符合身心健康条件",
            )
        )
    if rules.exclude_prior_participants and applicant.prior_participation:
        reasons.append(
            Reason(code="PRIOR_PARTICIPATION", message="已参加过特培学习，本轮规则不再选派")
        )
    return tuple(reasons)


def _qualified(applicant: Facts, rules: Rules, track: Track, day: date) -> bool:
    if applicant.title_grade >= rules.min_title[track]:
        return True
    if applicant.education < rules.min_education[track]:
        return False
    years = years_of(applicant, day)
    return years is not None and years >= rules.min_years[track]
