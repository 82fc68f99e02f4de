"""The lottery of the priority order: each applicant's draw from the seed and their identity.

Contract: `draw(seed, identity)` is the first 8 bytes of BLAKE2b keyed with the seed,
over the applicant's identity, as an unsigned 64-bit number (smaller draws first). The
identity is the normalised 身份证号 (18 characters, upper-case X) of a valid ID, else the
row's key (``文件名:行号``). A draw therefore depends on nothing but the seed and that
applicant: adding, removing or reordering anyone changes no one else's draw, and the
department can publish the seed so that anyone recomputes a draw::

    import hashlib
    hashlib.blake2b("150102199001011234".encode(), key=b"2023", digest_size=8).hexdigest()

The priority order (`priority_order`): priority applicants (基层 or 非公) first, then the
higher 审核评分, then the smaller draw (two equal draws, one chance in 2^64 for two
people, keep the input order).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from matcher.model import Applicant, Issue
from matcher.store import Column

U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]

_VALID_ID = re.compile(r"^\d{17}[\dX]$")


def identity(applicant: Applicant) -> str:
    """What the draw is keyed on: the 身份证号 when it is a well-formed one, else the key."""
    return identity_of(applicant.id_number, applicant.key, applicant.problems)


def identity_of(number: str | None, key: str, problems: Iterable[Issue]) -> str:
    """`identity` of the row with this 身份证号, key and problems."""
    if (
        number
        and _VALID_ID.match(number)
        and not any(p.code.startswith("ID_") and p.severity == "error" for p in problems)
    ):
        return number
    return key


def draw(seed: int, who: str) -> int:
    """The draw of one identity under `seed` (an unsigned 64-bit number)."""
    digest = hashlib.blake2b(who.encode("utf-8"), key=str(seed).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big")


def identities_of(numbers: Column, keys: Sequence[str], problems: Column) -> list[str]:
    """`identity_of` of every row of these columns (身份证号, key, problems), in order.

    Each distinct 身份证号 is checked once, and each distinct tuple of problems.
    """
    # eighteen decimal digits match the pattern: only the other numbers need it
    match = _VALID_ID.match
    formed = [
        bool(v) and ((len(v) == 18 and v.isdecimal()) or match(v) is not None)
        for v in numbers.values.tolist()
    ]
    clear = [
        not any(p.code.startswith("ID_") and p.severity == "error" for p in found)
        for found in problems.values.tolist()
    ]
    drawn_on = np.asarray(formed, dtype=bool)[numbers.codes]
    drawn_on &= np.asarray(clear, dtype=bool)[problems.codes]
    own = np.empty(len(keys), dtype=object)
    own[:] = keys
    return np.where(drawn_on, numbers.values[numbers.codes], own).tolist()


def draws(seed: int, identities: Sequence[str]) -> U64:
    """`draw` of every identity, as an array."""
    # one keyed state, copied per identity: the key block is set up once
    keyed = hashlib.blake2b(key=str(seed).encode(), digest_size=8)
    digests = []
    for who in identities:
        state = keyed.copy()
        state.update(who.encode("utf-8"))
        digests.append(state.digest())
    return np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64)


def draw_text(value: int) -> str:
    """A draw as the 16 hexadecimal digits `hashlib`'s hexdigest prints."""
    return f"{value:016x}"


def priority_order(priority: npt.ArrayLike, score: npt.ArrayLike, drawn: U64) -> I32:
    """Position of each applicant (0 first) in the priority order of the module docstring.

    `score` is a float per applicant, NaN when none was given (after every score).
    """
    written = np.asarray(score, dtype=np.float64)
    ranked_score = np.where(np.isfinite(written), -written, np.inf)
    pri = np.asarray(priority, dtype=bool)
    n = pri.shape[0]
    ranking = np.lexsort((drawn, ranked_score, ~pri))  # stable: input order last
    order = np.empty(n, dtype=np.int32)
    order[ranking] = np.arange(n, dtype=np.int32)
    return order
