"""Small hypothesis instances whose choice lists may have gaps (a choice written but
dropped by the encoder keeps the later choices at their written rank)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from matcher.engine.solve.base import Instance
from tests.strategies import instances


@st.composite
def gappy_instances(draw: st.DrawFn, **kwargs: int) -> Instance:
    inst = draw(instances(**kwargs))
    if inst.n == 0:
        return inst
    holes = np.array(
        draw(st.lists(st.booleans(), min_size=3 * inst.n, max_size=3 * inst.n)), dtype=bool
    ).reshape(inst.n, 3)
    holes &= np.array(draw(st.lists(st.booleans(), min_size=inst.n, max_size=inst.n)))[:, None]
    choices = np.where(holes, -1, inst.choices).astype(np.int32)
    return replace(inst, choices=choices)
