"""Seeded generator of realistic synthetic applicants (one row per person, canonical values).

`generate_applicants` returns a DataFrame with the contract's Chinese columns. Values are
canonical (出生年月 ``1985.03``, yes/no ``是``/``否``, plain digits); the regions' untidy
spellings are added only when the workbooks are written (`matcher.sample.workbooks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from matcher.engine.rules import age_on, years_between
from matcher.forms import ALL_COLUMNS
from matcher.model import HostCatalogue, QuotaTable, Track
from matcher.sample import vocab
from matcher.sample.idcard import make_id
from matcher.sample.reference import load_hosts, load_quotas

COLUMNS: tuple[str, ...] = ALL_COLUMNS
REFERENCE_DATE = date(2023, 3, 20)
INELIGIBLE_KINDS: tuple[str, ...] = (
    "over_age_out",
    "not_minority_out",
    "unqualified_in",
    "over_age_in",
    "unqualified_out",
)
# years in the profession needed to reach a grade, by education level (大专..博士)
_GRADE_YEARS = {2: (0, 7, 14, 99), 3: (0, 5, 10, 18), 4: (0, 3, 8, 15), 5: (0, 1, 4, 11)}
_GRAD_AGE = {2: (20, 21), 3: (22, 23), 4: (25, 26), 5: (28, 30)}


THIN_ACCEPT_SHARE = 0.75  # who applies from a thin unit expects 调剂 and mostly accepts it


@dataclass(frozen=True)
class ThinGroup:
    """A sending unit that sends few applicants on `track`, all of `field`.

    The unit sends one applicant more than its places, and every one of them lists only
    the two best-known hosts of `field` on `track` (capacity × popularity). Thin groups
    that share those hosts together ask for more places than the hosts have, so some of
    their applicants are placed by adjustment (调剂), if they accept it, while other hosts
    of the field keep room.
    """

    unit: str
    track: Track
    field: str


@dataclass(frozen=True)
class _Spec:
    """What kind of person to draw: track, sending unit and the ineligibility planted.

    `field` is set for a member of a thin group (see `ThinGroup`).
    """

    unit: vocab.Unit
    track: Track
    kind: str = "normal"
    field: str = ""


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _weighted(rng: np.random.Generator, pairs: Sequence[tuple[Any, float]]) -> Any:
    weights = np.array([w for _, w in pairs], dtype=float)
    return pairs[int(rng.choice(len(pairs), p=weights / weights.sum()))][0]


def _name(rng: np.random.Generator, ethnicity: str, gender: str) -> str:
    female = gender == "女"
    if ethnicity == "蒙古族":
        given = _pick(rng, vocab.MONGOLIAN_FEMALE if female else vocab.MONGOLIAN_MALE)
        if rng.random() < 0.35 and len(given) <= 3:
            return str(_pick(rng, vocab.MONGOLIAN_SURNAMES)) + given
        return str(given)
    surnames = vocab.MINORITY_SURNAMES.get(ethnicity, vocab.HAN_SURNAMES)
    given = _pick(rng, vocab.HAN_FEMALE_GIVEN if female else vocab.HAN_MALE_GIVEN)
    return str(_pick(rng, surnames)) + str(given)


def _birth_for_age(rng: np.random.Generator, age: int, day: date) -> date:
    """Draw a birth date with `age` completed years on `day`.

    Never in the window where reading only year and month would change the age (born in
    the reference month after its day).
    """
    while True:
        latest = day.replace(year=day.year - age)
        birth = latest - timedelta(days=int(rng.integers(0, 365)))
        if age_on(birth, day) == age and age_on(birth.replace(day=1), day) == age:
            return birth


def _ages(track: Track, kind: str) -> range:
    if kind == "over_age_out":
        return range(46, 48)
    if kind == "over_age_in":
        return range(36, 38)
    return range(31, 46) if track is Track.OUT else range(26, 36)


def _education(rng: np.random.Generator, track: Track, kind: str) -> int:
    if kind in ("unqualified_in", "unqualified_out"):
        return 3
    if track is Track.OUT:
        return int(_weighted(rng, [(3, 35), (4, 50), (5, 15)]))
    return int(_weighted(rng, [(2, 5), (3, 78), (4, 17)]))


def _eligible_grade(track: Track, grade: int, education: int, years: int) -> bool:
    if track is Track.OUT:
        return grade >= 3 or (education >= 4 and years >= 8)
    return grade >= 2 or (education >= 3 and years >= 5)


def _career(
    rng: np.random.Generator, track: Track, kind: str, day: date
) -> tuple[date, int, int, date, int]:
    """Draw birth, education, graduation year, work start and title grade.

    They are consistent, and eligible on `track` unless `kind` plants a failure.
    """
    for _ in range(200):
        age = int(_pick(rng, _ages(track, kind)))
        birth = _birth_for_age(rng, age, day)
        education = _education(rng, track, kind)
        grad_year = birth.year + int(_pick(rng, _GRAD_AGE[education]))
        start = date(grad_year, int(_pick(rng, (7, 7, 7, 8, 9))), 1)
        if start >= day:
            continue
        years = years_between(start, day)
        if kind == "unqualified_in":
            if 1 <= years < 5:
                return birth, education, grad_year, start, 1
            continue
        if kind == "unqualified_out":
            if years >= 8:
                return birth, education, grad_year, start, 2
            continue
        top = max(g for g in (1, 2, 3, 4) if years >= _GRADE_YEARS[education][g - 1])
        seasoned = top < 4 and years >= _GRADE_YEARS[education][top - 1] + 3
        keep_top = 1.0 if seasoned else (0.2 if top == 4 else 0.7)
        grade = top if top == 1 or rng.random() < keep_top else top - 1
        if not _eligible_grade(track, grade, education, years):
            grade = top
        if _eligible_grade(track, grade, education, years):
            return birth, education, grad_year, start, grade
    raise RuntimeError("no consistent career found")  # pragma: no cover


def _choices(rng: np.random.Generator, hosts: HostCatalogue, track: Track, field: str) -> list[str]:
    """Draw two or three distinct hosts of `track` that train `field` (专业对口).

    Popular hosts are likelier; fewer choices when fewer hosts fit.
    """
    pool = [h for h in hosts.hosts if h.track is track and field in h.fields]
    count = min(3 if rng.random() < 0.75 else 2, len(pool))
    chosen: list[str] = []
    while len(chosen) < count:
        left = [h for h in pool if h.name not in chosen]
        weights = np.array(
            [h.capacity * vocab.POPULAR_HOSTS.get(h.name, 1.0) for h in left], dtype=float
        )
        chosen.append(left[int(rng.choice(len(left), p=weights / weights.sum()))].name)
    return chosen


def _famous_choices(
    rng: np.random.Generator, hosts: HostCatalogue, track: Track, field: str
) -> list[str]:
    """Return the two best-known hosts of `track` that train `field`, in a drawn order."""
    pool = [h for h in hosts.hosts if h.track is track and field in h.fields]
    ranked = sorted(
        pool, key=lambda h: -h.capacity * vocab.POPULAR_HOSTS.get(h.name, 1.0)
    )  # stable: catalogue order breaks ties
    top = [h.name for h in ranked[:2]]
    return [top[int(i)] for i in rng.permutation(len(top))]


def _employer(
    rng: np.random.Generator, unit: vocab.Unit, profile: vocab.Profile
) -> tuple[str, str, bool, str]:
    """Draw employer name, 单位性质, 基层 flag and ID area code of a person of `unit`."""
    if unit.name == "区直":
        name = str(_pick(rng, vocab.DIRECT_EMPLOYERS[profile.field]))
        unit_type = "国有企业" if "公司" in name else "事业单位"
        home = _pick(rng, [u for u in vocab.UNITS if u.counties])
        return name, unit_type, False, str(_pick(rng, home.counties)[1])
    template = str(_pick(rng, profile.employers))
    county, area = _pick(rng, unit.counties)
    short = unit.city.removesuffix("市").removesuffix("盟")
    county_short = county.removeprefix(unit.city) or county
    name = template.format(city=unit.city, county=county, short=short, county_short=county_short)
    grassroots = "{county}" in template and profile.unit_type == "事业单位"
    if rng.random() < 0.3:
        area = str(_pick(rng, unit.counties)[1])
    return name, profile.unit_type, grassroots, area


def _person(
    rng: np.random.Generator, spec: _Spec, hosts: HostCatalogue, day: date
) -> dict[str, Any]:
    profiles = [p for p in vocab.PROFILES if not spec.field or p.field == spec.field]
    profile = _weighted(rng, [(p, p.weight) for p in profiles])
    profession = str(_pick(rng, profile.professions))
    series = profile.series
    if spec.unit.name == "区直":
        series = vocab.DIRECT_SERIES.get(series, series)
    ethnicities = vocab.ETHNICITY_OUT if spec.track is Track.OUT else vocab.ETHNICITY_IN
    ethnicity = "汉族" if spec.kind == "not_minority_out" else str(_weighted(rng, ethnicities))
    female_share = 0.9 if series == "护理" else 0.55
    gender = "女" if rng.random() < female_share else "男"
    birth, education, grad_year, start, grade = _career(rng, spec.track, spec.kind, day)
    if education == 5 and series in ("中小学", "护理"):  # doctors rarely teach school or nurse
        education = 4
    employer, unit_type, grassroots, area = _employer(rng, spec.unit, profile)
    sequence = int(rng.integers(0, 500)) * 2 + (1 if gender == "男" else 0)
    if spec.field:
        choices = _famous_choices(rng, hosts, spec.track, profile.field)
    else:
        choices = _choices(rng, hosts, spec.track, profile.field)
    accepts = THIN_ACCEPT_SHARE if spec.field else 0.5
    phone = str(_pick(rng, vocab.PHONE_PREFIXES)) + f"{int(rng.integers(0, 10**8)):08d}"
    return {
        "姓名": _name(rng, ethnicity, gender),
        "性别": gender,
        "民族": ethnicity,
        "出生年月": f"{birth:%Y.%m}",
        "工作单位": employer,
        "参加工作时间": f"{start:%Y.%m}",
        "从事专业": profession,
        "学历及毕业年限": f"{vocab.EDUCATION_NAMES[education]} {grad_year}年",
        "职称": vocab.SERIES[series][grade - 1],
        "联系方式(手机号码)": phone,
        "拟选培养单位1": choices[0],
        "拟选培养单位2": choices[1] if len(choices) > 1 else "",
        "拟选培养单位3": choices[2] if len(choices) > 2 else "",
        "是否接受调剂": "是" if rng.random() < accepts else "否",
        "身份证号": make_id(area, birth, sequence),
        "选派地区": spec.unit.name,
        "培养方式": f"{spec.track.value}培养",
        "是否基层": "是" if grassroots else "否",
        "单位性质": unit_type,
        "审核评分": float(np.clip(round(float(rng.normal(80.0, 7.0)), 1), 60.0, 98.0)),
        "预先接收单位": "",
        "健康状况": "无",
        "是否参加过特培学习": "否",
        "备注": "",
        "_field": profile.field,
        "_kind": spec.kind,
    }


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into integer parts proportional to `weights`, each at least 1."""
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * max(total - len(w), 0)
    parts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - parts), kind="stable")[: max(total - len(w), 0) - parts.sum()]:
        parts[i] += 1
    return [int(p) + 1 for p in parts]


def _thin_specs(quotas: QuotaTable, thin: Sequence[ThinGroup]) -> list[_Spec]:
    """Return the members of the thin groups: places + 1 per group (none without places)."""
    units = {u.name: u for u in vocab.UNITS}
    specs: list[_Spec] = []
    for group in thin:
        unit = units[group.unit]
        places = quotas.places(unit.region, group.track)
        if places > 0:
            specs += [_Spec(unit, group.track, field=group.field)] * (places + 1)
    return specs


def _specs(
    rng: np.random.Generator, n: int, quotas: QuotaTable, thin: Sequence[ThinGroup] = ()
) -> list[_Spec]:
    """Draw sending unit and track of `n` normal applicants, about 2–3.5× the quota.

    Thin groups come first with their fixed size; the rest is spread over the other units.
    """
    fixed = _thin_specs(quotas, thin)
    skip = {(s.unit.name, s.track) for s in fixed}
    pairs: list[tuple[vocab.Unit, Track]] = []
    weights: list[float] = []
    for track in (Track.OUT, Track.IN):
        for unit in vocab.UNITS:
            places = quotas.places(unit.region, track)
            if places <= 0 or (unit.name, track) in skip:
                continue
            shared = any(u.region == unit.region and u is not unit for u in vocab.UNITS)
            share = 1.0
            if shared:
                share = (
                    vocab.SMALL_UNIT_SHARE
                    if unit.name != unit.region
                    else 1 - vocab.SMALL_UNIT_SHARE
                )
            pairs.append((unit, track))
            weights.append(places * float(rng.uniform(2.0, 3.5)) * share)
    counts = _allocate(n - len(fixed), weights)
    return fixed + [_Spec(u, t) for (u, t), k in zip(pairs, counts, strict=True) for _ in range(k)]


def generate_applicants(
    n: int,
    seed: int,
    *,
    hosts: HostCatalogue | None = None,
    quotas: QuotaTable | None = None,
    reference_date: date = REFERENCE_DATE,
    ineligible: int = 0,
    prearranged: int | None = None,
    thin: Sequence[ThinGroup] = (),
) -> pd.DataFrame:
    """Generate `n` synthetic applicants, the same for the same arguments.

    Parameters
    ----------
    n
        Number of applicants (rows); at least one per region and track with places.
    seed
        Seed of the random generator; the result depends on nothing else.
    hosts, quotas
        Host catalogue and quota table (default: the bundled 2023 tables). Choices are hosts
        of the applicant's own track; applicants are spread over the regions with places.
    reference_date
        Day on which ages and years in the profession are computed.
    ineligible
        How many of the `n` applicants fail one rule of the notice on purpose, cycling over
        `INELIGIBLE_KINDS` (over age on each track, 汉族 on 区外, unqualified on each track).
        All others are eligible.
    prearranged
        How many eligible applicants have a 预先接收单位 (their first choice, at distinct
        hosts); default about 2.5 % of `n`.
    thin
        Sending units with few applicants, all of one field, who all choose that field's
        two best-known hosts (see `ThinGroup`); they count in `n`. Default: none.

    Returns
    -------
    pandas.DataFrame
        One row per applicant with `COLUMNS` (canonical values), sorted by sending unit
        and track, ``序号`` numbered within each unit and track. ``attrs["kinds"]`` maps the
        row index of each planted ineligible applicant to its kind; ``attrs["fields"]``
        lists every row's field.
    """
    rng = np.random.default_rng(seed)
    catalogue = hosts or load_hosts()
    table = quotas or load_quotas()
    normal = max(n - ineligible, 0)
    specs = _specs(rng, normal, table, thin) if normal else []
    extra = len(specs) - normal
    specs = specs[: len(specs) - extra] if extra > 0 else specs
    for i in range(ineligible):
        kind = INELIGIBLE_KINDS[i % len(INELIGIBLE_KINDS)]
        track = Track.OUT if kind.endswith("_out") else Track.IN
        units = [u for u in vocab.UNITS if table.places(u.region, track) > 0]
        specs.append(_Spec(_pick(rng, units), track, kind))
    rows = [_person(rng, spec, catalogue, reference_date) for spec in specs]
    _unique_ids(rows)
    order = {u.name: i for i, u in enumerate(vocab.UNITS)}
    shuffle = rng.permutation(len(rows))
    keyed = sorted(
        zip(shuffle, rows, strict=True),
        key=lambda p: (order[p[1]["选派地区"]], p[1]["培养方式"] != "区外培养", int(p[0])),
    )
    rows = [row for _, row in keyed]
    frame = pd.DataFrame(rows)
    frame["序号"] = frame.groupby(["选派地区", "培养方式"], sort=False).cumcount() + 1
    share = round(0.025 * len(frame)) if prearranged is None else prearranged
    _mark_prearranged(rng, frame, share)
    kinds = {
        int(i): str(k) for i, k in zip(frame.index, frame["_kind"], strict=True) if k != "normal"
    }
    fields = [str(f) for f in frame["_field"]]
    frame = frame.loc[:, list(COLUMNS)]
    frame.attrs["kinds"] = kinds
    frame.attrs["fields"] = fields
    return frame


def _unique_ids(rows: list[dict[str, Any]]) -> None:
    """Make ID numbers unique by bumping the sequence (keeping its gender parity)."""
    seen: set[str] = set()
    for row in rows:
        number = row["身份证号"]
        while number in seen:
            sequence = (int(number[14:17]) + 2) % 1000
            number = make_id(
                number[:6],
                date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                sequence,
            )
        seen.add(number)
        row["身份证号"] = number


def _mark_prearranged(rng: np.random.Generator, frame: pd.DataFrame, count: int) -> None:
    """Give `count` eligible applicants a 预先接收单位 (their first choice, distinct hosts)."""
    used: set[str] = set()
    for i in rng.permutation(len(frame)):
        if len(used) >= count:
            break
        row = frame.iloc[int(i)]
        host = str(row["拟选培养单位1"])
        if row["_kind"] != "normal" or host in used:
            continue
        used.add(host)
        label = frame.index[int(i)]
        frame.loc[label, "预先接收单位"] = host
        frame.loc[label, "备注"] = f"已与{host}联系并获准接收"
