"""Synthetic data: realistic applicants, the regions' 附件3 workbooks, the sample round.

- `generate_applicants` — seeded synthetic applicants as a DataFrame (contract columns).
- `write_region_workbooks` — one 附件3 workbook per sending unit and track.
- `build_sample_round` — ``data/sample-2023``: workbooks with documented defects.
- `write_large_round` — a vectorised consolidated CSV of up to millions of rows.

Regenerate the bundled sample with ``python -m matcher.sample --out data/sample-2023
--seed 2023``.
"""

from matcher.sample.defects import Defect, SampleRound, build_sample_round, plant_defects
from matcher.sample.large import write_large_round
from matcher.sample.people import COLUMNS, generate_applicants
from matcher.sample.reference import load_hosts, load_quotas, write_table_workbooks
from matcher.sample.workbooks import WrittenRound, write_region_workbooks

__all__ = [
    "COLUMNS",
    "Defect",
    "SampleRound",
    "WrittenRound",
    "build_sample_round",
    "generate_applicants",
    "load_hosts",
    "load_quotas",
    "plant_defects",
    "write_large_round",
    "write_region_workbooks",
    "write_table_workbooks",
]
