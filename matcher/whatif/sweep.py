"""Sweeps: solve many variants of one round in parallel, one summary row per variant.

Contract: `sweep(base, variants)` returns a DataFrame with one row per `Variant`, in the
order given, with the columns `ROW_COLUMNS`. The same base and variants always give the
same rows, whatever the number of workers. Variants that only change the lottery seed,
host capacities, quotas or the mechanism are solved on the base round's arrays
(`ArrayBase.instance`), judged once: a seed changes `order` and `weight` only, a
capacity `host_cap`, a quota `group_cap`, and pre-arrangements are re-honoured on the
patched arrays, each by the encoder's own code (`matcher.engine.encode.Lottery`,
`matcher.engine.encode.honour`). A variant carrying its own `Round` (e.g. from a scenario) is
judged and encoded in full. Every solution is checked by `matcher.engine.verify.verify`.

Work is spread over local processes (`concurrent.futures.ProcessPoolExecutor` whose
initializer encodes the base round once per worker), or over a Ray cluster when
`ray_address` is given (``pip install 'matcher[ray]'``).
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any

from matcher.engine.encode import TRACK_INDEX, TRACKS, Lottery, encode, honour
from matcher.engine.judge import judge
from matcher.engine.solve import solve
from matcher.engine.solve.base import ADJUSTED, PREARRANGED, Instance, Solution
from matcher.engine.verify import count_justified_envy, verify
from matcher.model import MECHANISM_NAMES, Round, Track
from matcher.report.funding import trainee_cost

ROW_COLUMNS = [
    "variant", "seed", "mechanism", "status", "verified", "placed", "adjusted", "trainees",
    "unmatched", "excluded", "first_choice", "first_choice_rate", "priority_placed",
    "justified_envy", "funding",
]  # fmt: skip


class SweepError(ValueError):
    """A variant that does not fit the round (unknown host or region, negative places)."""


@dataclass(frozen=True)
class Variant:
    """One variant of the base round.

    `seed` / `mechanism` replace the policy's; `capacity` sets host capacities (host
    name → places); `quota` sets places ((region, 区外|区内) → places). `round`, when
    given, is solved as it is (encoded in full) and the other fields are ignored.
    """

    name: str
    seed: int | None = None
    mechanism: str | None = None
    capacity: tuple[tuple[str, int], ...] = ()
    quota: tuple[tuple[str, str, int], ...] = ()
    round: Round | None = None


def seed_variants(seeds: Iterable[int]) -> list[Variant]:
    """One variant per lottery seed, named ``seed=N``."""
    return [Variant(name=f"seed={s}", seed=int(s)) for s in seeds]


def capacity_variants(host: str, values: Iterable[int]) -> list[Variant]:
    """One variant per capacity of `host`, named ``host=N``."""
    return [Variant(name=f"{host}={v}", capacity=((host, int(v)),)) for v in values]


def grid(
    *,
    seeds: Sequence[int | None] = (None,),
    mechanisms: Sequence[str | None] = (None,),
    capacity: Mapping[str, Sequence[int]] | None = None,
    quota: Mapping[tuple[str, str], Sequence[int]] | None = None,
) -> list[Variant]:
    """The cartesian product of seeds × mechanisms × each host's and quota's values."""
    host_axes = [[(h, int(v)) for v in vs] for h, vs in (capacity or {}).items()]
    quota_axes = [[(r, t, int(v)) for v in vs] for (r, t), vs in (quota or {}).items()]
    out = []
    for seed, mech in itertools.product(seeds, mechanisms):
        for caps in itertools.product(*host_axes):
            for quotas in itertools.product(*quota_axes):
                parts = [f"seed={seed}"] if seed is not None else []
                parts += [mech] if mech else []
                parts += [f"{h}={v}" for h, v in caps] + [f"{r}{t}={v}" for r, t, v in quotas]
                out.append(Variant(",".join(parts) or "base", seed, mech, caps, quotas))
    return out


def scenario_variants(paths: Iterable[Any], base: Round | None = None) -> list[Variant]:
    """One full-round variant per scenario file (see `matcher.whatif.scenario`)."""
    from matcher.whatif.scenario import build_round
    from matcher.whatif.scenario_file import load_scenario

    out = []
    for path in paths:
        scenario = load_scenario(path)
        out.append(Variant(name=scenario.name, round=build_round(scenario, base)))
    return out


class ArrayBase:
    """The base round judged and encoded once, with what is needed to vary its arrays.

    A variant of seed, capacities or quotas changes no rule decision: the base's
    judgement stands, and the encoder's own `Lottery` and `honour` redraw the order and
    re-honour the pre-arrangements on the varied arrays.
    """

    def __init__(self, round_: Round, check: bool = True) -> None:
        self.round = round_
        self.check = check
        self.judgement = judge(round_)
        self.encoding = encode(round_, self.judgement)
        self.instance = self.encoding.instance
        self.lottery = Lottery.of(round_, self.judgement)
        self.host_index = {name: j for j, name in enumerate(self.encoding.host_names)}
        self.group_index = {(r, t.value): k for k, (r, t) in enumerate(self.encoding.groups)}

    def patched(self, variant: Variant) -> Instance:
        """The base arrays with the variant's seed, capacities and quotas."""
        inst = self.instance
        host_cap, group_cap = inst.host_cap.copy(), inst.group_cap.copy()
        for name, places in variant.capacity:
            host = self.round.catalogue.resolve(name)
            if host is None or places < 0:
                raise SweepError(f"variant {variant.name!r}: unknown host or places < 0: {name}")
            host_cap[self.host_index[host.name]] = places
        for region, track, places in variant.quota:
            k = self.group_index.get((region, Track(track).value))
            if k is None or places < 0:
                raise SweepError(f"variant {variant.name!r}: unknown quota {region}{track}")
            group_cap[k] = places
        if variant.seed is None:
            order, weight = inst.order, inst.weight
        else:
            _, order, weight = self.lottery.drawn(variant.seed)
        prearranged, _ = honour(self.judgement.prearranged, inst.group, order, host_cap, group_cap)
        return replace(
            inst,
            order=order,
            weight=weight,
            host_cap=host_cap,
            group_cap=group_cap,
            prearranged=prearranged,
        )

    def run(self, variant: Variant) -> dict[str, Any]:
        """Solve one variant and return its summary row."""
        if variant.round is not None:
            round_ = variant.round
            encoding = encode(round_, judge(round_))
            instance = encoding.instance
            policy = round_.policy
            mechanism, seed = policy.mechanism, policy.seed
            excluded = len(encoding.excluded)
        else:
            instance = self.patched(variant)
            policy = self.round.policy
            mechanism = variant.mechanism or policy.mechanism
            seed = variant.seed if variant.seed is not None else policy.seed
            excluded = len(self.encoding.excluded)
        adjustment, objective = policy.adjustment, policy.objective
        solution = solve(instance, mechanism, adjustment=adjustment, objective=objective)
        verified = (
            verify(instance, solution, adjustment=adjustment, objective=objective).ok
            if self.check
            else None
        )
        return summary_row(variant.name, seed, mechanism, instance, solution, excluded, verified)


def summary_row(
    name: str,
    seed: int,
    mechanism: str,
    instance: Instance,
    solution: Solution,
    excluded: int,
    verified: bool | None,
) -> dict[str, Any]:
    """The sweep's row of one solved variant (`ROW_COLUMNS`), from the arrays alone."""
    rank = solution.rank
    at_choice = ((rank >= 1) & (rank <= 3)) | (rank == PREARRANGED)
    adjusted = rank == ADJUSTED
    trainee = at_choice | adjusted
    cost = {TRACK_INDEX[t]: trainee_cost(t)["total"] for t in TRACKS}
    funding = sum(int((trainee & (instance.track == k)).sum()) * c for k, c in cost.items())
    trainees = int(trainee.sum())
    first = int((rank == 1).sum())
    return {
        "variant": name,
        "seed": seed,
        "mechanism": mechanism,
        "status": solution.status.value,
        "verified": verified,
        "placed": int(at_choice.sum()),
        "adjusted": int(adjusted.sum()),
        "trainees": trainees,
        "unmatched": instance.n - trainees,
        "excluded": excluded,
        "first_choice": first,
        "first_choice_rate": first / trainees if trainees else 0.0,
        "priority_placed": int((trainee & instance.priority).sum()),
        "justified_envy": count_justified_envy(instance, solution.host, rank),
        "funding": funding,
    }


# ---------------------------------------------------------------- running


_WORKER: dict[str, ArrayBase] = {}


def _init_worker(round_: Round, check: bool, token: str) -> None:
    _WORKER.clear()  # one sweep's base per process (Ray workers outlive a sweep)
    _WORKER[token] = ArrayBase(round_, check)


def _run_chunk(token: str, chunk: list[tuple[int, Variant]]) -> list[tuple[int, dict[str, Any]]]:
    base = _WORKER[token]
    return [(i, base.run(v)) for i, v in chunk]


def _chunks(variants: Sequence[Variant], size: int) -> list[list[tuple[int, Variant]]]:
    indexed = list(enumerate(variants))
    return [indexed[i : i + size] for i in range(0, len(indexed), size)]


def sweep(
    base: Round,
    variants: Sequence[Variant],
    *,
    workers: int | None = None,
    chunk: int | None = None,
    progress: bool = True,
    check: bool = True,
    ray_address: str | None = None,
) -> Any:
    """Solve every variant of `base`; a DataFrame of one row per variant (`ROW_COLUMNS`).

    `workers`: processes (default: CPU count; 1 runs in this process). `chunk`: variants
    per task (default: about 4 tasks per worker). `progress`: a rich progress bar on
    stderr. `check`: verify every solution. `ray_address`: run on that Ray cluster
    ("local" starts a local one) instead of local processes.

    Raises `SweepError` for a variant that does not fit the round.
    """
    import pandas as pd

    workers = max(1, workers or multiprocessing.cpu_count())
    size = chunk or max(1, math.ceil(len(variants) / (workers * 4)))
    chunks = _chunks(variants, size)
    rows: dict[int, dict[str, Any]] = {}
    with _progress(progress, len(variants)) as advance:
        if ray_address is not None:
            _run_ray(base, chunks, ray_address, check, rows, advance)
        elif workers == 1:
            local = ArrayBase(base, check)
            for part in chunks:
                rows.update((i, local.run(v)) for i, v in part)
                advance(len(part))
        else:
            token = uuid.uuid4().hex
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(
                workers, mp_context=context, initializer=_init_worker, initargs=(base, check, token)
            ) as pool:
                futures = [pool.submit(_run_chunk, token, part) for part in chunks]
                for future in as_completed(futures):
                    done = future.result()
                    rows.update(done)
                    advance(len(done))
    return pd.DataFrame([rows[i] for i in range(len(variants))], columns=ROW_COLUMNS)


class _progress:
    """Context manager yielding ``advance(n)``; a rich bar when enabled."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total
        self._bar: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import Progress

        self._bar = Progress(console=Console(stderr=True), transient=True)
        self._bar.start()
        task = self._bar.add_task("求解变体", total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _run_ray(
    base: Round,
    chunks: list[list[tuple[int, Variant]]],
    address: str,
    check: bool,
    rows: dict[int, dict[str, Any]],
    advance: Callable[[int], None],
) -> None:
    try:
        import ray
    except ImportError:
        raise SweepError("Ray is not installed: pip install 'matcher[ray]'") from None
    if not ray.is_initialized():
        ray.init(
            address=None if address == "local" else address,
            ignore_reinit_error=True,
            include_dashboard=False,
            log_to_driver=False,
        )
    token = uuid.uuid4().hex
    remote = ray.remote(_ray_chunk)
    base_ref = ray.put(base)
    pending = [remote.remote(base_ref, check, token, part) for part in chunks]
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        done = ray.get(ready[0])
        rows.update(done)
        advance(len(done))


def _ray_chunk(
    round_: Round, check: bool, token: str, chunk: list[tuple[int, Variant]]
) -> list[tuple[int, dict[str, Any]]]:
    if token not in _WORKER:
        _init_worker(round_, check, token)
    return _run_chunk(token, chunk)


__all__ = [
    "ROW_COLUMNS",
    "ArrayBase",
    "SweepError",
    "Variant",
    "capacity_variants",
    "grid",
    "mechanism_names",
    "scenario_variants",
    "seed_variants",
    "sweep",
]


def mechanism_names() -> list[str]:
    """Names of the registered mechanisms (for a mechanisms grid)."""
    return list(MECHANISM_NAMES)
