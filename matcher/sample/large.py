"""A vectorised writer of large consolidated rounds (benchmarks): `write_large_round`.

Every column is drawn with numpy over all rows at once; the only Python loops run over
groups (sending unit × job profile, track × field), never over rows.
"""

from __future__ import annotations

from datetime import date
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.forms import ENGLISH
from matcher.model import HostCatalogue, QuotaTable, Track
from matcher.sample import vocab
from matcher.sample.idcard import make_ids
from matcher.sample.people import COLUMNS, REFERENCE_DATE
from matcher.sample.reference import load_hosts, load_quotas

StrArray = npt.NDArray[np.str_]
IntArray = npt.NDArray[np.int64]


def _draw(rng: np.random.Generator, n: int, weights: list[float]) -> IntArray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _pairs(table: QuotaTable) -> tuple[list[tuple[int, Track]], list[float]]:
    pairs: list[tuple[int, Track]] = []
    weights: list[float] = []
    for track in (Track.OUT, Track.IN):
        for i, unit in enumerate(vocab.UNITS):
            places = table.places(unit.region, track)
            if places > 0:
                small = unit.name != unit.region
                pairs.append((i, track))
                weights.append(places * (vocab.SMALL_UNIT_SHARE if small else 1.0))
    return pairs, weights


def _names(
    rng: np.random.Generator, ethnicity: StrArray, female: npt.NDArray[np.bool_]
) -> StrArray:
    n = len(ethnicity)

    def pick(items: tuple[str, ...]) -> StrArray:
        return np.asarray(items)[rng.integers(len(items), size=n)]

    mongolian = np.where(female, pick(vocab.MONGOLIAN_FEMALE), pick(vocab.MONGOLIAN_MALE))
    prefixed = np.char.add(pick(vocab.MONGOLIAN_SURNAMES), mongolian)
    mongolian = np.where(
        (rng.random(n) < 0.35) & (np.char.str_len(mongolian) <= 3), prefixed, mongolian
    )
    han = np.char.add(
        pick(vocab.HAN_SURNAMES),
        np.where(female, pick(vocab.HAN_FEMALE_GIVEN), pick(vocab.HAN_MALE_GIVEN)),
    )
    return np.where(ethnicity == "蒙古族", mongolian, han)


def _employers(
    rng: np.random.Generator, unit: IntArray, profile: IntArray
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_], IntArray]:
    """Draw employer, grassroots flag and ID area code per row, per (unit, profile) group."""
    n = len(unit)
    employer = np.empty(n, dtype=object)
    grassroots = np.zeros(n, dtype=bool)
    area = np.zeros(n, dtype=np.int64)
    all_areas = np.array([int(code) for u in vocab.UNITS for _, code in u.counties])
    key = unit * len(vocab.PROFILES) + profile
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    ends = np.append(starts[1:], n)
    for k, start, end in zip(keys, starts, ends, strict=True):
        rows = order[start:end]
        u = vocab.UNITS[int(k) // len(vocab.PROFILES)]
        p = vocab.PROFILES[int(k) % len(vocab.PROFILES)]
        if not u.counties:
            options = [(name, False, 0) for name in vocab.DIRECT_EMPLOYERS[p.field]]
        else:
            short = u.city.removesuffix("市").removesuffix("盟")
            options = []
            for template in p.employers:
                for county, code in u.counties:
                    name = template.format(
                        city=u.city,
                        county=county,
                        short=short,
                        county_short=county.removeprefix(u.city) or county,
                    )
                    base = "{county}" in template and p.unit_type == "事业单位"
                    options.append((name, base, int(code)))
        picked = rng.integers(len(options), size=len(rows))
        employer[rows] = np.array([o[0] for o in options], dtype=object)[picked]
        grassroots[rows] = np.array([o[1] for o in options])[picked]
        codes = np.array([o[2] for o in options], dtype=np.int64)[picked]
        area[rows] = np.where(
            codes > 0, codes, all_areas[rng.integers(len(all_areas), size=len(rows))]
        )
    return employer, grassroots, area


def _unique_first17(
    rng: np.random.Generator, area: IntArray, ymd: IntArray, male: IntArray
) -> IntArray:
    """Draw sequence numbers (gender parity kept) making all IDs' first 17 digits unique."""
    sequence = rng.integers(0, 500, size=len(area)) * 2 + male
    while True:
        first17 = area * 10**11 + ymd * 1000 + sequence
        order = np.argsort(first17, kind="stable")
        dup = np.zeros(len(area), dtype=bool)
        dup[order[1:]] = first17[order[1:]] == first17[order[:-1]]
        if not dup.any():
            return sequence
        sequence[dup] = rng.integers(0, 500, size=int(dup.sum())) * 2 + male[dup]


def _choices(
    rng: np.random.Generator, track: IntArray, field: StrArray, hosts: HostCatalogue
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Draw up to three distinct hosts per row that train its field (Gumbel top-k).

    Hosts are weighted by capacity and popularity, within groups of track × field.
    """
    n = len(track)
    out = [np.empty(n, dtype=object) for _ in range(3)]
    for t, value in enumerate((Track.OUT, Track.IN)):
        pool = [h for h in hosts.hosts if h.track is value]
        names = np.array([h.name for h in pool], dtype=object)
        base = np.array([h.capacity * vocab.POPULAR_HOSTS.get(h.name, 1.0) for h in pool])
        for f in np.unique(field[track == t]):
            rows = np.nonzero((track == t) & (field == f))[0]
            fit = np.array([f in h.fields for h in pool])
            noise = rng.gumbel(size=(len(rows), len(pool)))
            keys = np.where(fit, np.log(base) + noise, -np.inf)
            top = np.argsort(-keys, axis=1, kind="stable")[:, :3]
            for r in range(3):
                out[r][rows] = names[top[:, r]] if r < fit.sum() else ""
    third = np.where(rng.random(n) < 0.75, out[2], "")
    return out[0], out[1], third


def write_large_round(
    n: int,
    seed: int,
    path_csv: Path | str,
    *,
    english: bool = False,
    hosts: HostCatalogue | None = None,
    quotas: QuotaTable | None = None,
    reference_date: date = REFERENCE_DATE,
) -> Path:
    """Write `n` synthetic applicants as one consolidated CSV (UTF-8), fast.

    Parameters
    ----------
    n
        Number of rows (1,000,000 takes seconds).
    seed
        Seed; the same arguments give the same file.
    path_csv
        Where to write. The header is line 1; every row has the contract's columns
        (`COLUMNS`), including 选派地区 and 培养方式, with canonical values.
    english
        Use the English snake_case headers of `ENGLISH` instead of the Chinese ones.
    hosts, quotas, reference_date
        Host catalogue and quota table (default: bundled 2023) and the day ages refer to.

    Returns
    -------
    pathlib.Path
        The path written. IDs are valid and unique; most applicants are eligible.
    """
    rng = np.random.default_rng(seed)
    catalogue = hosts or load_hosts()
    pairs, pair_weights = _pairs(quotas or load_quotas())
    pair = _draw(rng, n, pair_weights)
    unit = np.array([p[0] for p in pairs], dtype=np.int64)[pair]
    track = np.array([0 if p[1] is Track.OUT else 1 for p in pairs], dtype=np.int64)[pair]

    profile = _draw(rng, n, [p.weight for p in vocab.PROFILES])
    prof_offsets = np.array([len(p.professions) for p in vocab.PROFILES])
    flat_prof = np.array([x for p in vocab.PROFILES for x in p.professions])
    starts = np.concatenate([[0], np.cumsum(prof_offsets)[:-1]])
    profession = flat_prof[
        starts[profile] + (rng.random(n) * prof_offsets[profile]).astype(np.int64)
    ]
    field = np.array([p.field for p in vocab.PROFILES])[profile]
    series_names = list(vocab.SERIES)
    regional = np.array([series_names.index(p.series) for p in vocab.PROFILES])
    direct = np.array(
        [series_names.index(vocab.DIRECT_SERIES.get(p.series, p.series)) for p in vocab.PROFILES]
    )
    is_direct = np.array([u.name == "区直" for u in vocab.UNITS])[unit]
    series = np.where(is_direct, direct[profile], regional[profile])
    nursing = series == series_names.index("护理")
    female = rng.random(n) < np.where(nursing, 0.9, 0.55)

    eth_out = np.array([e for e, _ in vocab.ETHNICITY_OUT])[
        _draw(rng, n, [w for _, w in vocab.ETHNICITY_OUT])
    ]
    eth_in = np.array([e for e, _ in vocab.ETHNICITY_IN])[
        _draw(rng, n, [w for _, w in vocab.ETHNICITY_IN])
    ]
    ethnicity = np.where(track == 0, eth_out, eth_in)
    name = _names(rng, ethnicity, female)

    age = np.where(track == 0, rng.integers(31, 46, size=n), rng.integers(26, 36, size=n))
    ref = np.datetime64(reference_date.isoformat(), "D")
    birth = ref - (age * 365.2425).astype(np.int64) - rng.integers(1, 364, size=n)
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1

    edu_out = np.array([3, 4, 5])[_draw(rng, n, [35, 50, 15])]
    edu_in = np.array([2, 3, 4])[_draw(rng, n, [5, 78, 17])]
    education = np.where(track == 0, edu_out, edu_in)
    grad_age = np.array([0, 0, 20, 22, 25, 28])[education] + rng.integers(0, 2, size=n)
    grad = np.minimum(year + grad_age, reference_date.year - 1)
    years = reference_date.year - 1 - grad
    grade = np.where(
        years >= 18,
        np.where(rng.random(n) < 0.2, 4, 3),
        np.where(years >= 10, 3, np.where(years >= 5, 2, 1)),
    )
    grade = np.where((track == 0) & ~((education >= 4) & (years >= 8)), np.maximum(grade, 3), grade)
    grade = np.where((track == 1) & ~((education >= 3) & (years >= 5)), np.maximum(grade, 2), grade)
    titles = np.array([vocab.SERIES[s] for s in series_names])[series, grade - 1]

    employer, grassroots, area = _employers(rng, unit, profile)
    male = (~female).astype(np.int64)
    ymd = year * 10000 + month * 100 + day
    ids = make_ids(area, ymd, _unique_first17(rng, area, ymd, male))
    prefixes = np.array([int(p) for p in vocab.PHONE_PREFIXES], dtype=np.int64)
    phone = prefixes[rng.integers(len(prefixes), size=n)] * 10**8 + rng.integers(0, 10**8, size=n)
    choice1, choice2, choice3 = _choices(rng, track, field, catalogue)
    edu_names = np.array(["", "", "大专", "大学本科", "硕士研究生", "博士研究生"])
    months = np.array([f"{m:02d}" for m in range(13)])
    unit_types = np.array([p.unit_type for p in vocab.PROFILES])[profile]
    columns: dict[str, Any] = {
        "序号": np.arange(1, n + 1),
        "姓名": name,
        "性别": np.where(female, "女", "男"),
        "民族": ethnicity,
        "出生年月": np.char.add(np.char.add(year.astype(str), "."), months[month]),
        "工作单位": employer,
        "参加工作时间": np.char.add(grad.astype(str), ".07"),
        "从事专业": profession,
        "学历及毕业年限": np.char.add(
            np.char.add(edu_names[education], " "), np.char.add(grad.astype(str), "年")
        ),
        "职称": titles,
        "联系方式(手机号码)": phone,
        "拟选培养单位1": choice1,
        "拟选培养单位2": choice2,
        "拟选培养单位3": choice3,
        "是否接受调剂": np.where(rng.random(n) < 0.5, "是", "否"),
        "身份证号": ids,
        "选派地区": np.array([u.name for u in vocab.UNITS])[unit],
        "培养方式": np.where(track == 0, "区外培养", "区内培养"),
        "是否基层": np.where(grassroots, "是", "否"),
        "单位性质": np.where(is_direct, "事业单位", unit_types),
        "审核评分": np.clip(np.round(rng.normal(80.0, 7.0, size=n), 1), 60.0, 98.0),
        "预先接收单位": None,
        "健康状况": "无",
        "是否参加过特培学习": "否",
        "备注": None,
    }
    path = Path(path_csv)
    _write_csv(path, columns, n, english)
    return path


def _write_csv(path: Path, columns: dict[str, Any], n: int, english: bool) -> None:
    """Write columns of equal length as CSV without quoting (no value holds , " or a newline).

    Rows are joined by C-level ``map``/``zip`` over column lists, in chunks.
    """
    header = [ENGLISH[c] if english else c for c in COLUMNS]
    chunk = 200_000
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            parts = []
            for column in COLUMNS:
                value = columns[column]
                if value is None or isinstance(value, str):
                    parts.append(repeat(value or "", stop - start))
                else:
                    part = value[start:stop]
                    if part.dtype.kind in "iuf":
                        part = part.astype(str)
                    parts.append(part.tolist())
            handle.write("\n".join(map(",".join, zip(*parts, strict=True))))
            handle.write("\n")
