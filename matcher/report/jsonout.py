"""result.json: ``{"summary", "solver", "manifest"}``, deterministic bytes.

Sorted keys, ``ensure_ascii=False``, indent 2, a final newline. numpy arrays in the
solver's proof or verification become ``{"sha256": …, "length": …}`` (the hash of the
array's C-ordered bytes); other values are made JSON-safe (numpy scalars, enums, dates,
paths, tuples and sets); NaN and infinities become null.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any

import numpy as np
from pydantic import BaseModel

from matcher.engine.result import RunResult


def jsonable(value: Any) -> Any:
    """`value` as plain JSON types; numpy arrays as ``{"sha256", "length"}``."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most values
        return value
    if kind is dict:  # a plain dict: its text keys as they are
        return {k if type(k) is str else str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {"sha256": hashlib.sha256(data.tobytes()).hexdigest(), "length": len(data)}
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="json"))
    return str(value)


def result_document(result: RunResult, summary: Mapping[str, Any]) -> dict[str, Any]:
    """Build the JSON document of `result`.

    Keys: summary, solver (mechanism, status, objective, proof, verification, message,
    alternatives)
    and manifest, all made JSON-safe by `jsonable`.
    """
    solver = result.solver
    return jsonable(
        {
            "summary": summary,
            "solver": {
                "mechanism": solver.mechanism,
                "status": solver.status,
                "objective": solver.objective,
                "proof": solver.proof,
                "verification": solver.verification,
                "message": solver.message,
                "alternatives": solver.alternatives,
            },
            "manifest": result.manifest,
        }
    )


def result_json(result: RunResult, summary: Mapping[str, Any]) -> bytes:
    """result.json's bytes (UTF-8, sorted keys, indent 2, trailing newline)."""
    document = result_document(result, summary)
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")
