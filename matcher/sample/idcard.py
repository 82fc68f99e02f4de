"""Chinese resident ID numbers (GB 11643-1999): check digit, building, vectorised building.

An ID is 6 digits of address code, 8 of birth date (YYYYMMDD), 3 of sequence (odd for men,
even for women) and a check digit by ISO 7064 MOD 11-2 (``X`` stands for 10).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_digit(first17: str) -> str:
    """Return the check character of the first 17 digits of an ID number."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def is_valid(id_number: str) -> bool:
    """Tell whether `id_number` has 18 characters, a real birth date, a right check digit."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    try:
        date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return False
    return check_digit(id_number[:17]) == id_number[17]


def make_id(area: str, birth: date, sequence: int) -> str:
    """Build an 18-digit ID with its check digit; `sequence` (0–999) carries the gender."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def gender_of(id_number: str) -> str:
    """Return 男 when the 17th digit is odd, else 女."""
    return "男" if int(id_number[16]) % 2 else "女"


def make_ids(
    area: npt.NDArray[np.int64], ymd: npt.NDArray[np.int64], sequence: npt.NDArray[np.int64]
) -> npt.NDArray[np.str_]:
    """Build IDs like `make_id`, vectorised: area codes, YYYYMMDD integers, sequences."""
    first17 = area.astype(np.int64) * 10**11 + ymd.astype(np.int64) * 1000 + sequence
    total = np.zeros(len(first17), dtype=np.int64)
    rest = first17.copy()
    for weight in WEIGHTS[::-1]:
        total += (rest % 10) * weight
        rest //= 10
    checks = np.array(list(CHECK_CHARS))[total % 11]
    return np.char.add(first17.astype(str), checks)
