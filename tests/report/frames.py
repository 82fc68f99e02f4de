"""Frames with every kind of cell a report table may hold (for the writers' tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

WEIRD_TEXTS = [
    "普通文字",
    "",
    "a & b < c > d",
    "\x01控制\x1f字符\x08",
    "_x0041_ literal escape",
    " leading space",
    "trailing space ",
    "\u3000全角空格",
    "tab\tinside",
    "line\nbreak",
    '=HYPERLINK("http://x","y")',
    "\ufffe\uffff",
    "😀 astral",
    "x" * 40_000,  # over Excel's 32,767: truncated as xlsxwriter truncates
    "丨" * 40,  # wide: sets the column width
]


def weird_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    texts = [WEIRD_TEXTS[i % len(WEIRD_TEXTS)] if i % 7 == 0 else f"名字{i}" for i in range(n)]
    ids = [f"{150102198503010000 + i}" for i in range(n)]
    mixed: list[object] = []
    for i in range(n):
        mixed.append(
            [None, float("nan"), pd.NA, True, False, 3, 2.5, 10**17, -7, "文本", np.int64(4)][
                i % 11
            ]
            if i % 3 == 0
            else f"m{i}"
        )
    return pd.DataFrame(
        {
            "text": pd.Series(texts, dtype=object),
            "id": ids,
            "ints": pd.array([None if i % 50 == 0 else i * 1000 for i in range(n)], dtype="Int64"),
            "plain": np.arange(n, dtype=np.int64) - n // 2,
            "big": [10**16 + i if i % 2 else -(10**15) for i in range(n)],
            "edge": [2**53 + 1 if i == n - 1 else 2**53 - i for i in range(n)],
            "score": rng.normal(80, 10, n).round(3),
            "flag": [i % 4 == 0 for i in range(n)],
            "mixed": pd.Series(mixed, dtype=object),
            "empty": [None] * n,
        }
    )
