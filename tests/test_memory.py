"""Memory habits: the batch allocator of the command line."""

import subprocess
import sys

import pytest

PROBE = """
import os, sys
import pyarrow as pa
from matcher.memory import batch_allocator
print(batch_allocator(), pa.default_memory_pool().backend_name, pa.array(["x"] * 3).nbytes > 0)
"""


def _probe(env_pool: str | None) -> list[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if env_pool is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = env_pool
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.split()


def test_a_batch_run_allocates_arrow_memory_from_the_system():
    # A fresh interpreter: the pool is process-wide, the test process keeps its own.
    assert _probe(None) == ["system", "system", "True"]


@pytest.mark.parametrize("pool", ["mimalloc", "jemalloc"])
def test_an_operators_choice_of_arrow_pool_stands(pool):
    import pyarrow as pa

    available = {"mimalloc": pa.mimalloc_memory_pool, "jemalloc": pa.jemalloc_memory_pool}
    try:
        available[pool]()
    except NotImplementedError:
        pytest.skip(f"pyarrow built without {pool}")
    assert _probe(pool) == [pool, pool, "True"]


def test_the_matcher_command_sets_it(tmp_path):
    # The console script's entry point chooses it before any command runs.
    code = (
        "import sys; from matcher.cli import main; import pyarrow as pa\n"
        "sys.argv = ['matcher', 'validate', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(pa.default_memory_pool().backend_name)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-1] == "system"
