"""The engine: from a checked round to a verified placement.

`rules` judges who may take part and which choices count, `encode` turns the round into
arrays, `solve/` places (one mechanism a module, chosen through its registry), `verify`
and `certificate` prove the result independently, `explain` says why for each row, and
`pipeline` runs these steps in order and returns a `result.RunResult`.
"""
