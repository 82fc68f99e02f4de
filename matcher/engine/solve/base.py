"""What every mechanism receives and returns: plain index arrays, never domain objects.

`Instance` is built by `matcher.engine.encode` from a validated round (eligible, valid
applicants only); `Solution` is decoded back by the same module. Tests can drive a
mechanism with a few numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.model import STAGES as STAGES  # re-exported: the stages live with Policy

IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

#: `Solution.rank` codes besides the choice ranks 1, 2, 3.
UNPLACED = -1
ADJUSTED = 0
PREARRANGED = 4  # placed at a pre-arranged host that is not among the choices


@dataclass(frozen=True)
class Instance:
    """A placement problem as arrays; n applicants, h hosts, g quota groups, f fields.

    - `choices[i]`: up to three host indices in rank order, padded with -1; only hosts
      of the applicant's own track that exist; no repeats.
    - `group[i]`: quota group (region × track) of applicant i; `group_cap[g]` its places.
    - `host_cap[h]`, `host_track[h]` (0 区外, 1 区内), `track[i]` likewise.
    - `field[i]`: field index or -1 when unknown; `host_fields[h, f]` True when host h
      trains field f. Adjustment goes only to a host of the applicant's track that
      trains their field and is not among their choices.
    - `priority[i]`: 基层 or 非公; `accepts[i]`: accepts adjustment.
    - `order[i]`: position in the priority order (0 first), a permutation of 0..n-1:
      priority applicants first, then higher 审核评分, then the seeded lottery.
    - `prearranged[i]`: host index honoured as pre-arranged, or -1. Encoding already
      resolved conflicts: every honoured pre-arrangement fits capacity and quota together.
    - `weight[i]`: the applicant's weight in the tie-break stages (`choice_order`,
      `adjustment_order`), decreasing along `order`; None means n − order[i]. The encoder
      gives N − (position among every row of the round, N rows), so that setting a row
      aside (a decision, a fixed outcome) changes nobody else's weight.
    """

    choices: IntArray
    group: IntArray
    group_cap: IntArray
    host_cap: IntArray
    host_track: IntArray
    track: IntArray
    field: IntArray
    host_fields: BoolArray
    priority: BoolArray
    accepts: BoolArray
    order: IntArray
    prearranged: IntArray
    weight: npt.NDArray[np.int64] | None = None

    @property
    def n(self) -> int:
        """Number of applicants."""
        return int(self.group.shape[0])

    @property
    def n_hosts(self) -> int:
        """Number of hosts."""
        return int(self.host_cap.shape[0])

    def weights(self) -> npt.NDArray[np.int64]:
        """The tie-break weight of each applicant: `weight`, or n − order[i] without it."""
        if self.weight is not None:
            return self.weight.astype(np.int64)
        return self.n - self.order.astype(np.int64)


class SolveStatus(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    ERROR = "error"


@dataclass(frozen=True)
class Solution:
    """A mechanism's answer.

    `host[i]` is the host index or -1; `rank[i]` is 1–3 (the choice), `ADJUSTED`,
    `PREARRANGED` or `UNPLACED`. `objective` maps each name of `STAGES` to the value the
    mechanism claims. `proof` is JSON-serialisable (for `optimal`: the stage-by-stage
    dual certificate); `message` explains a non-optimal status.
    """

    status: SolveStatus
    host: IntArray
    rank: IntArray
    objective: dict[str, int] = field(default_factory=dict)
    proof: dict[str, Any] = field(default_factory=dict)
    message: str = ""
