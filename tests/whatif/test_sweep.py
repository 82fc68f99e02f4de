"""Sweeps: one row per variant, reproducible, and the same as solving each round in full."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.engine.encode import encode
from matcher.engine.judge import judge
from matcher.engine.pipeline import solve_round
from matcher.engine.solve import solve
from matcher.engine.verify import verify
from matcher.ingest.load import load_round
from matcher.model import Round, Status
from matcher.report.summary import summarize
from matcher.whatif.changes import with_capacity, with_pins, with_policy, with_quota
from matcher.whatif.sweep import (
    ROW_COLUMNS,
    ArrayBase,
    SweepError,
    Variant,
    capacity_variants,
    grid,
    seed_variants,
    summary_row,
    sweep,
)
from tests.whatif.test_scenario import FILE, tiny_round


@pytest.fixture(scope="module")
def sample() -> Round:
    return load_round()


def full_round(base: Round, v: Variant) -> Round:
    """The variant built as a Round, independently of the array patching."""
    r = base
    if v.seed is not None or v.mechanism is not None:
        r = with_policy(r, seed=v.seed, mechanism=v.mechanism)
    for host, places in v.capacity:
        r = with_capacity(r, host, places=places)
    for region, track, places in v.quota:
        r = with_quota(r, region, track, places=places)
    return r


VARIANTS = [
    Variant("seed", seed=7),
    Variant("caps", capacity=(("中央民族大学", 0), ("中国地质大学（北京）", 0), ("内蒙古大学", 5))),
    Variant("quota", seed=3, quota=(("乌海市", "区外", 1), ("包头市", "区外", 0))),
    Variant("stable", mechanism="stable", seed=99),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_patched_arrays_equal_a_full_encode(sample, variant):
    patched = ArrayBase(sample).patched(variant)
    changed = full_round(sample, variant)
    full = encode(changed, judge(changed)).instance
    for name in full.__dataclass_fields__:
        assert np.array_equal(getattr(patched, name), getattr(full, name)), name


def test_pre_arrangements_are_re_honoured_when_capacity_shrinks():
    base = with_pins(tiny_round(), {f"{FILE}:2": "甲大学", f"{FILE}:3": "甲大学"})
    for seed in range(5):
        v = Variant("x", seed=seed, capacity=(("甲大学", 1),))
        patched = ArrayBase(base).patched(v)
        changed = full_round(base, v)
        full = encode(changed, judge(changed)).instance
        assert np.array_equal(patched.prearranged, full.prearranged)
        assert int((patched.prearranged >= 0).sum()) == 1


@pytest.mark.parametrize("variant", VARIANTS[:3], ids=lambda v: v.name)
def test_rows_match_the_full_pipeline(sample, variant):
    row = sweep(sample, [variant], workers=1, progress=False).iloc[0]
    result = solve_round(full_round(sample, variant))
    summary = summarize(result)
    assert row["trainees"] == summary["trainees"]
    assert row["adjusted"] == summary["status"]["adjusted"]
    assert row["unmatched"] == summary["status"]["unmatched"]
    assert row["excluded"] == summary["status"]["ineligible"] + summary["status"]["invalid"]
    assert row["first_choice"] == summary["rank"]["first"]
    assert row["funding"] == summary["funding"]["total"]["total"]
    priority = sum(
        o.status in (Status.PLACED, Status.ADJUSTED)
        and result.round.rules
        and (a.grassroots or result.round.rules.is_non_public(a.unit_type))
        for a, o in zip(result.round.applicants, result.outcomes, strict=True)
    )
    assert row["priority_placed"] == priority
    assert bool(row["verified"]) is True


def test_seed_sweep_one_row_per_seed_reproducible_across_workers(sample):
    seeds = list(range(30))
    one = sweep(sample, seed_variants(seeds), workers=1, progress=False)
    two = sweep(sample, seed_variants(seeds), workers=2, chunk=4, progress=False)
    assert list(one.columns) == ROW_COLUMNS
    assert list(one["seed"]) == seeds and len(one) == len(seeds)
    assert one.equals(two)
    assert one.equals(sweep(sample, seed_variants(seeds), workers=1, progress=False))


def test_capacity_sweep_is_monotone_in_capacity():
    base = tiny_round()
    rows = sweep(base, capacity_variants("甲大学", range(0, 6)), workers=1, progress=False)
    # by hand: 区外 places 1 (兴安盟's quota); 区内: 乙 takes row 7, and 甲 takes at most
    # min(cap, 3 more of 呼和浩特市 (quota 4) + 1 of 兴安盟 (row 10 is over age))
    expected = [1 + 1 + min(cap, 3 + 1) for cap in range(0, 6)]
    assert list(rows["trainees"]) == expected


def test_grid_and_scenario_round_variants(sample):
    variants = grid(seeds=[1, 2], mechanisms=["optimal", "stable"], capacity={"内蒙古大学": [3, 4]})
    assert len(variants) == 8 and len({v.name for v in variants}) == 8
    full = Variant("round", round=with_policy(sample, mechanism="stable", seed=1))
    rows = sweep(
        sample, [variants[2], full], workers=1, progress=False
    )  # seed=1,stable,内蒙古大学=3
    assert rows.iloc[0].drop("variant").equals(rows.iloc[1].drop("variant"))


def test_unknown_host_is_a_sweep_error(sample):
    with pytest.raises(SweepError):
        sweep(sample, [Variant("bad", capacity=(("无名大学", 1),))], workers=1, progress=False)


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="ray not installed (extra 'ray')"
)
def test_ray_gives_the_same_rows(sample):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        seeds = seed_variants(range(8))
        local = sweep(sample, seeds, workers=1, progress=False)
        remote = sweep(sample, seeds, chunk=2, progress=False, ray_address="local")
        assert local.equals(remote)
    finally:
        ray.shutdown()


@st.composite
def tiny_variants(draw: st.DrawFn) -> Variant:
    """A seed, capacities and quotas of the tiny round, within and beyond its places."""
    caps = draw(st.lists(st.sampled_from(["甲大学", "乙医院", "丙大学"]), unique=True, max_size=3))
    quotas = draw(st.lists(st.sampled_from(["呼和浩特市", "兴安盟"]), unique=True, max_size=2))
    return Variant(
        "v",
        seed=draw(st.none() | st.integers(0, 10_000)),
        mechanism=draw(st.sampled_from([None, "stable"])),
        capacity=tuple((h, draw(st.integers(0, 3))) for h in caps),
        quota=tuple(
            (r, draw(st.sampled_from(["区内", "区外"])), draw(st.integers(0, 3))) for r in quotas
        ),
    )


PINNED = with_pins(
    tiny_round(), {f"{FILE}:2": "甲大学", f"{FILE}:3": "甲大学", f"{FILE}:8": "丙大学"}
)


@settings(max_examples=40, deadline=None)
@given(tiny_variants())
def test_a_sweep_row_equals_judging_encoding_and_solving_the_variant_in_full(variant):
    base = ArrayBase(PINNED)
    row, patched = base.run(variant), base.patched(variant)
    changed = full_round(PINNED, variant)
    encoding = encode(changed, judge(changed))
    for name in patched.__dataclass_fields__:
        assert np.array_equal(getattr(patched, name), getattr(encoding.instance, name)), name
    policy = changed.policy
    solution = solve(encoding.instance, policy.mechanism, adjustment=policy.adjustment)
    assert verify(encoding.instance, solution, adjustment=policy.adjustment).ok
    expected = summary_row(
        "v", policy.seed, policy.mechanism, encoding.instance, solution,
        len(encoding.excluded), True,
    )  # fmt: skip
    assert row == expected
