"""Domain model of a placement round: applicants, hosts, quotas, rules, policy, round.

Every model is frozen and forbids extra fields: nothing downstream mutates its input.
The rules of the notice (内人社办发〔2023〕21号) are defaults of `Rules`, not constants.
"""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from enum import IntEnum, StrEnum
from functools import cached_property, lru_cache
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from matcher.store import Columns


class Frozen(BaseModel):
    """Base of every domain model: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with `update` applied, built anew: cached derived values are not copied.

        A table field (`Columns`) given as a sequence of rows becomes its table.
        """
        fields = type(self).model_fields
        values = {name: getattr(self, name) for name in fields}
        for name, value in (update or {}).items():
            kind = fields[name].annotation
            table = isinstance(kind, type) and issubclass(kind, Columns)
            values[name] = kind.coerce(value) if table else value  # type: ignore[union-attr]
        if deep:
            values = copy.deepcopy(values)
        touched = self.model_fields_set | set(update or ())
        return type(self).model_construct(_fields_set=touched, **values)  # type: ignore[return-value]


#: The fixed field vocabulary (专业领域): the 培养专业 of hosts and the field an applicant's
#: 从事专业 maps to (through data/fields.csv).
FIELDS: tuple[str, ...] = (
    "教育", "医疗卫生", "农学", "林草", "畜牧兽医", "水利", "工程技术", "信息技术", "能源",
    "新材料", "生物技术", "生态环保", "经济管理", "文化旅游", "地质矿产", "法律", "建筑规划",
)  # fmt: skip


class Track(StrEnum):
    """Training track (培养方式)."""

    OUT = "区外"
    IN = "区内"


class Severity(StrEnum):
    """Severity of an input issue: errors make a row `invalid`, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class Status(StrEnum):
    """Outcome of one input applicant row (contract: placements.csv `status`)."""

    PLACED = "placed"
    ADJUSTED = "adjusted"
    UNMATCHED = "unmatched"
    INELIGIBLE = "ineligible"
    INVALID = "invalid"


class Education(IntEnum):
    """Highest education level, ordered."""

    UNKNOWN = 0
    SECONDARY = 1  # 高中/中专
    JUNIOR_COLLEGE = 2  # 大专
    BACHELOR = 3  # 本科
    MASTER = 4  # 硕士研究生
    DOCTOR = 5  # 博士研究生


class TitleGrade(IntEnum):
    """Grade of a professional title (职称), ordered."""

    NONE = 0
    JUNIOR = 1  # 初级
    INTERMEDIATE = 2  # 中级
    ASSOCIATE_SENIOR = 3  # 副高级
    SENIOR = 4  # 正高级


class Issue(Frozen):
    """One problem found in the input, addressed to the person who can fix it.

    `row` is the row as Excel shows it (CSV: header is line 1); `None` for file-level
    issues. `code` is a stable English code; `message` is Chinese and says how to fix it.
    """

    file: str
    row: int | None = None
    column: str | None = None
    code: str
    severity: Severity
    message: str


class Reason(Frozen):
    """Why an applicant is ineligible or unplaced: a stable code and a Chinese text."""

    code: str
    message: str


class Applicant(Frozen):
    """One applicant row as read and normalised from a department file.

    `key` identifies the row for the whole run (``file:row``). Fields that could not be
    read are `None`; the reasons are in `problems` (errors make the row `invalid`).
    `choices` are the host names as written (normalised), in rank order, at most three;
    they are resolved against the catalogue by `HostCatalogue.resolve`.
    """

    key: str
    source_file: str
    source_row: int
    name: str = ""
    gender: str | None = None
    ethnicity: str | None = None
    birth: date | None = None  # the valid 身份证号's birth date, else 出生年月's
    birth_exact: bool = True  # False: only the month is known (`birth` is its 1st)
    employer: str | None = None
    work_start: date | None = None  # 参加工作时间
    work_start_exact: bool = True  # False: only the month is known (`work_start` is its 1st)
    profession: str | None = None  # 从事专业 as written
    field: str | None = None  # the field the profession maps to (data/fields.csv)
    education: Education = Education.UNKNOWN
    education_text: str | None = None
    graduation_year: int | None = None
    title: str | None = None
    title_grade: TitleGrade = TitleGrade.NONE
    phone: str | None = None
    id_number: str | None = None
    sending_unit: str | None = None  # 填表单位 or 选派地区 as written
    region: str | None = None  # quota region of 附件1 (满洲里市 → 呼伦贝尔市)
    track: Track | None = None
    choices: tuple[str, ...] = ()
    accepts_adjustment: bool = False
    grassroots: bool = False
    unit_type: str | None = None  # 单位性质
    score: float | None = None  # 审核评分, higher is better
    prearranged: str | None = None  # 预先接收单位 as written (or the host its 备注 names)
    prearranged_from_remark: bool = False  # the pre-arrangement was read from 备注: to confirm
    health_issue: bool | None = None  # 健康状况: True when 有 (an illness that stops training)
    prior_participation: bool | None = None  # 是否参加过特培学习
    remark: str | None = None
    problems: tuple[Issue, ...] = ()

    @property
    def invalid(self) -> bool:
        """True when any problem of this row is an error."""
        return any(p.severity is Severity.ERROR for p in self.problems)


class Applicants(Columns[Applicant]):
    """A round's applicant rows as columns (`matcher.store`); ``rows[i]`` is an `Applicant`."""

    model = Applicant
    __slots__ = ()

    def invalid(self) -> list[bool]:
        """Per row, whether any problem of the row is an error (`Applicant.invalid`)."""
        problems = self.field("problems")
        errors = [any(p.severity is Severity.ERROR for p in found) for found in problems.values]
        return [errors[c] for c in problems.codes.tolist()]


class Host(Frozen):
    """A host institution (培养单位) of one track with its capacity and fields."""

    name: str
    track: Track
    location: str = ""
    capacity: int = Field(ge=0)
    fields: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    # For the 报到 letters (optional catalogue columns 联系人, 联系电话, 报到地址, 报到时间).
    contact: str = ""
    contact_phone: str = ""
    report_address: str = ""
    report_time: str = ""


class Quota(Frozen):
    """Places of one sending region on one track (附件1)."""

    region: str
    track: Track
    places: int = Field(ge=0)


class Rules(Frozen):
    """Eligibility rules of the notice; every value is a setting of the round."""

    reference_date: date = date(2023, 3, 20)
    age_limit: dict[Track, int] = {Track.OUT: 45, Track.IN: 35}
    min_education: dict[Track, Education] = {
        Track.OUT: Education.MASTER,
        Track.IN: Education.BACHELOR,
    }
    min_years: dict[Track, int] = {Track.OUT: 8, Track.IN: 5}
    min_title: dict[Track, TitleGrade] = {
        Track.OUT: TitleGrade.ASSOCIATE_SENIOR,
        Track.IN: TitleGrade.INTERMEDIATE,
    }
    minority_required: dict[Track, bool] = {Track.OUT: True, Track.IN: False}
    regions_without_in_track: tuple[str, ...] = ("区直",)
    non_public_unit_types: tuple[str, ...] = (
        "非公",
        "民营企业",
        "私营企业",
        "非公有制企业",
        "外资企业",
        "合资企业",
        "个体",
        "社会组织",
        "民办非企业",
        "民办学校",
        "民营医院",
    )
    exclude_health_issue: bool = True
    exclude_prior_participants: bool = False

    def is_non_public(self, unit_type: str | None) -> bool:
        """True when the 单位性质 counts as 非公."""
        return bool(unit_type) and any(t in unit_type for t in self.non_public_unit_types)  # type: ignore[operator]


class Mechanism(StrEnum):
    """The built-in placement mechanisms; `matcher.engine.solve.register` adds others by name."""

    OPTIMAL = "optimal"
    STABLE = "stable"
    IMMEDIATE = "immediate"
    CPSAT = "cpsat"


#: The names of the registered mechanisms, in registration order: the built-ins, then
#: each name `matcher.engine.solve.register` adds (it is the only writer). A `Policy` accepts
#: exactly these; the runners are `matcher.engine.solve`'s. The names live here so that a policy
#: is checked where it is made, without the model importing the solvers.
MECHANISM_NAMES: list[str] = [m.value for m in Mechanism]


class UnknownMechanismError(ValueError):
    """No mechanism of that name is registered; the message lists the registered ones."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(str(self))

    def __str__(self) -> str:
        names = ", ".join(self.known)
        return (
            f"未知的匹配机制 {self.name!r}；可用：{names} / unknown mechanism {self.name!r}; "
            f"registered mechanisms: {names}"
        )


def check_mechanism(name: Any) -> str:
    """`name` as a plain string when it names a registered mechanism (`MECHANISM_NAMES`).

    Raises
    ------
    UnknownMechanismError
        Any other value; the message lists the registered names.
    """
    text = name.value if isinstance(name, Mechanism) else name
    if not isinstance(text, str) or text not in MECHANISM_NAMES:
        raise UnknownMechanismError(str(text), MECHANISM_NAMES)
    return text


#: The objective stages of the default policy (``two-phase``), in the contract's strict
#: order (docs/contract.md, "The default policy"). Phase 1, the choices: the four
#: counts, then `choice_order` (who holds the choice places, by the priority order);
#: phase 2, adjustment on what phase 1 leaves: two counts, then `adjustment_order`.
#: `Policy.objective` may reorder the counts within their phase.
STAGES: tuple[str, ...] = (
    "placed_at_choice",
    "priority_placed_at_choice",
    "first_choice",
    "second_choice",
    "choice_order",
    "adjusted",
    "priority_adjusted",
    "adjustment_order",
)

#: The former joint policy, kept by name for analysts: adjustment counted before the
#: tie-break of the choice places (`priority_order` = choice_order + adjustment_order).
JOINT_STAGES: tuple[str, ...] = (
    "placed_at_choice",
    "priority_placed_at_choice",
    "first_choice",
    "second_choice",
    "adjusted",
    "priority_adjusted",
    "priority_order",
)

#: Every stage name any order may use (stage values are reported for all of them).
ALL_STAGES: tuple[str, ...] = (*STAGES, "priority_order")

#: The counts of each phase (any order within the phase), and each phase's tie-break.
CHOICE_COUNTS = STAGES[:4]
ADJUSTMENT_COUNTS = ("adjusted", "priority_adjusted")
CHOICE_TIE_BREAK, ADJUSTMENT_TIE_BREAK, TIE_BREAK = (
    "choice_order",
    "adjustment_order",
    "priority_order",
)

#: Named orders: ``[policy] objective = "joint"`` in a scenario, ``Policy(objective="joint")``.
PRESETS: dict[str, tuple[str, ...]] = {"two-phase": STAGES, "joint": JOINT_STAGES}


class ObjectiveOrderError(ValueError):
    """An objective order that is neither a two-phase nor a joint order of the stages."""


def phases(order: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The phases of a valid order: (choices, adjustment) for two-phase, (all,) for joint."""
    names = tuple(order)
    if CHOICE_TIE_BREAK in names:
        cut = names.index(CHOICE_TIE_BREAK) + 1
        return (names[:cut], names[cut:])
    return (names,)


def check_objective(order: Sequence[str] | str) -> tuple[str, ...]:
    """Return `order` as a tuple when it is a valid order of the objective stages.

    A preset name ("two-phase", "joint") stands for its order. Valid orders:

    - two-phase (the default): the four choice counts in any order, ``choice_order``,
      the two adjustment counts in any order, ``adjustment_order``;
    - joint: the six counts in any order, ``priority_order`` (the tie-break) last.

    Raises
    ------
    ObjectiveOrderError
        Naming what is unknown, missing, repeated or out of its phase.
    """
    if isinstance(order, str):
        if order in PRESETS:
            return PRESETS[order]
        raise ObjectiveOrderError(
            f"目标阶段顺序应为列表或{'/'.join(PRESETS)}，收到 {order!r} / the objective order "
            f"must be a list of stage names or one of {', '.join(PRESETS)}, got {order!r}"
        )
    names = tuple(str(name) for name in order)
    joint = TIE_BREAK in names
    wanted = JOINT_STAGES if joint else STAGES
    unknown = [n for n in names if n not in ALL_STAGES]
    foreign = [n for n in names if n in ALL_STAGES and n not in wanted]
    missing = [s for s in wanted if s not in names]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if unknown or foreign or missing or repeated:
        parts = []
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        if foreign:
            policy = "joint" if joint else "two-phase"
            parts.append(f"not a stage of the {policy} policy {', '.join(foreign)}")
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if repeated:
            parts.append(f"repeated {', '.join(repeated)}")
        raise ObjectiveOrderError(
            f"目标阶段顺序须恰好列出每个阶段一次（{'; '.join(parts)}）/ the objective order must "
            f"list each of {', '.join(wanted)} exactly once ({'; '.join(parts)})"
        )
    if joint:
        if names[-1] != TIE_BREAK:
            raise ObjectiveOrderError(
                f"{TIE_BREAK} 须为最后一个阶段：它是确定性的平局裁决 / {TIE_BREAK} must be the "
                f"last stage: it is the deterministic tie-break (got it at position "
                f"{names.index(TIE_BREAK) + 1} of {len(names)})"
            )
        return names
    if (
        set(names[:4]) != set(CHOICE_COUNTS)
        or names[4] != CHOICE_TIE_BREAK
        or (names[-1] != ADJUSTMENT_TIE_BREAK)
    ):
        raise ObjectiveOrderError(
            "两阶段顺序须先列志愿阶段（placed_at_choice、priority_placed_at_choice、first_choice、"
            "second_choice，任意顺序），再列 choice_order，然后调剂阶段（adjusted、"
            "priority_adjusted），最后 adjustment_order / a two-phase order lists the four choice "
            "counts (any order), then choice_order, then the two adjustment counts (any order), "
            f"then adjustment_order (got {', '.join(names)})"
        )
    return names


class Policy(Frozen):
    """How a round is solved: mechanism, seed, adjustment, order of the objective stages.

    `seed` keys the lottery (each applicant's draw, `matcher.engine.lottery`); `adjustment` runs
    调剂. `objective` is a valid order of the stages (`check_objective`), or a preset name:
    ``"two-phase"`` (the default, `STAGES`: choices decided first, adjustment on what they
    leave) or ``"joint"`` (the former policy, `JOINT_STAGES`). Only mechanisms that
    declare `objective_order` support an order other than the default (`optimal`, `cpsat`).
    `mechanism` is the name of any registered mechanism (`check_mechanism`: a built-in
    `Mechanism` or a name added by `matcher.engine.solve.register`), kept as a plain string.
    """

    mechanism: str = Mechanism.OPTIMAL.value
    seed: int = 2023
    adjustment: bool = True
    objective: tuple[str, ...] = STAGES

    @field_validator("mechanism", mode="before")
    @classmethod
    def _mechanism_is_registered(cls, value: Any) -> str:
        return check_mechanism(value)

    @field_validator("objective", mode="before")
    @classmethod
    def _objective_is_an_order_of_the_stages(cls, value: Any) -> tuple[str, ...]:
        return check_objective(value)

    @property
    def joint(self) -> bool:
        """Whether this is the joint policy (adjustment counted before the tie-break)."""
        return TIE_BREAK in self.objective


class HostCatalogue(Frozen):
    """The hosts of a round with name and alias resolution."""

    hosts: tuple[Host, ...]

    @cached_property
    def _by_name(self) -> dict[str, Host]:
        index: dict[str, Host] = {}
        for host in self.hosts:
            for name in (host.name, *host.aliases):
                index.setdefault(_name_key(name), host)
        return index

    def resolve(self, name: str | None) -> Host | None:
        """The host a written name (or alias) refers to, or None."""
        if not name:
            return None
        return self._by_name.get(_name_key(name))

    def names(self, track: Track | None = None) -> list[str]:
        """Canonical host names, optionally of one track."""
        return [h.name for h in self.hosts if track is None or h.track is track]


@lru_cache(maxsize=1 << 16)  # a round writes the same few thousand host names again and again
def _name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    return "".join(text.split()).replace("（", "(").replace("）", ")").lower()


class QuotaTable(Frozen):
    """Region × track quotas (附件1); a missing pair has 0 places."""

    quotas: tuple[Quota, ...]

    @cached_property
    def _index(self) -> dict[tuple[str, Track], int]:
        return {(q.region, q.track): q.places for q in self.quotas}

    def places(self, region: str, track: Track) -> int:
        """Places of `region` on `track` (0 when absent)."""
        return self._index.get((region, track), 0)

    def regions(self) -> list[str]:
        """Regions in table order, each once."""
        return list(dict.fromkeys(q.region for q in self.quotas))

    def total(self, track: Track) -> int:
        """Total places of a track."""
        return sum(q.places for q in self.quotas if q.track is track)


class InputFile(Frozen):
    """An input file of the round and its SHA-256, for the manifest."""

    path: str
    role: str  # applicants | hosts | quotas
    sha256: str


class Round(Frozen):
    """A placement round: everything a solve needs, read and checked.

    `issues` holds every problem found (row-level ones are also on their applicant's
    `problems`). `applicants` is a table (`Applicants`); any sequence of `Applicant` given
    to the constructor or to `model_copy` becomes one. Build with
    `matcher.ingest.load.load_round(...)` or `Round.from_frames`.
    """

    year: int = 2023
    applicants: Applicants
    catalogue: HostCatalogue
    quotas: QuotaTable
    rules: Rules = Rules()
    policy: Policy = Policy()
    issues: tuple[Issue, ...] = ()
    inputs: tuple[InputFile, ...] = ()

    @property
    def hosts(self) -> tuple[Host, ...]:
        """The hosts of the catalogue."""
        return self.catalogue.hosts
