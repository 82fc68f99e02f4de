import json
from collections import OrderedDict
from enum import StrEnum

import numpy as np

from matcher.report.jsonout import jsonable
from matcher.report.summary import summarize


def test_result_json_document(result, written):
    out, _ = written
    raw = (out / "result.json").read_bytes()
    document = json.loads(raw)
    assert set(document) == {"summary", "solver", "manifest"}
    assert document["summary"] == json.loads(json.dumps(summarize(result)))
    assert document["manifest"] == result.manifest
    solver = document["solver"]
    assert solver["mechanism"] == "optimal" and solver["status"] == "optimal"
    assert solver["objective"] == result.solver.objective
    potentials = solver["proof"]["stages"][0]["potentials"]
    assert potentials["length"] == 7 and len(potentials["sha256"]) == 64
    assert solver["verification"]["ok"] is True
    # deterministic formatting: sorted keys, indent 2, real UTF-8
    text = raw.decode("utf-8")
    assert text == json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert "呼和浩特市" in text


def test_jsonable_replaces_arrays_and_non_finite_numbers():
    value = {
        "a": np.array([1, 2, 3], dtype=np.int64),
        "b": float("nan"),
        "c": np.int32(4),
        "d": (1,),
    }
    out = jsonable(value)
    assert out["a"]["length"] == 3 and out["b"] is None and out["c"] == 4 and out["d"] == [1]
    assert jsonable(np.array([1, 2, 3], dtype=np.int64)) == out["a"]
    assert jsonable(np.array([1, 2, 4], dtype=np.int64))["sha256"] != out["a"]["sha256"]


def test_jsonable_keys_and_mappings():
    class Colour(StrEnum):
        RED = "red"

    value = {Colour.RED: 1, 2: {"x": np.float64(0.5)}, "m": OrderedDict(b=Colour.RED)}
    assert jsonable(value) == {"red": 1, "2": {"x": 0.5}, "m": {"b": "red"}}
    assert jsonable(True) is True and jsonable(np.bool_(False)) is False
