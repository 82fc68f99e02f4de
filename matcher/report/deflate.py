"""Deflate one zip member on several threads (how pigz splits a stream).

A large worksheet part is deflated a block at a time, each block by its own compressor
and ended with a sync flush, so each block's output stops on a byte boundary without the
final-block bit. Concatenated in order, those outputs are one valid deflate stream (no
back-reference reaches into an earlier block), which is what a zip member holds. zlib
releases the GIL while it compresses, so blocks are deflated on worker threads while
the caller builds the next one. The output depends only on the blocks and the level,
never on the number of threads or their timing: the same input gives the same bytes.

`parallel_member` puts a `ParallelDeflate` in place of the compressor of a member
opened with ``ZipFile.open(info, "w")``. zipfile keeps writing the headers, the CRC,
the sizes and the Zip64 records; only the deflating moves to the threads.
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

_ZLIB_COMPRESSOR = type(zlib.compressobj())
#: Deflated blocks at most waiting or in flight (bounds the memory held for order).
WINDOW = 2


def _deflate_block(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _final_block(level: int) -> bytes:
    """An empty last block: ends the stream (raw deflate, no header or checksum)."""
    return zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS).flush(zlib.Z_FINISH)


class ParallelDeflate:
    """A raw-deflate compressor with zlib's ``compress``/``flush`` interface.

    ``compress(data)`` queues `data` as one block and returns the output of the blocks
    done so far, in order (like any streaming compressor, output lags input);
    ``flush()`` waits for the rest and ends the stream.
    """

    def __init__(self, level: int, threads: int | None = None) -> None:
        self.level = level
        workers = threads or max(1, min(4, os.cpu_count() or 1))
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="deflate")
        self._pending: deque[Future[bytes]] = deque()

    def compress(self, data: bytes) -> bytes:
        """Queue `data` as one block; the output of the leading blocks already done."""
        self._pending.append(self._pool.submit(_deflate_block, bytes(data), self.level))
        done: list[bytes] = []
        pending = self._pending
        while pending and (len(pending) > WINDOW or pending[0].done()):
            done.append(pending.popleft().result())
        return b"".join(done)

    def flush(self) -> bytes:
        """The output of every block still pending, then the end of the stream."""
        try:
            done = [future.result() for future in self._pending]
        finally:
            self._pending.clear()
            self._pool.shutdown(cancel_futures=True)
        return b"".join(done) + _final_block(self.level)


def parallel_member(handle: Any, level: int) -> bool:
    """Deflate the zip member open for writing in `handle` with a `ParallelDeflate`.

    `handle` is what ``ZipFile.open(info, "w")`` returned, before anything is written.
    Returns False (and changes nothing) where this Python's zipfile does not hold its
    compressor as expected: the member is then deflated by zipfile itself, as before.
    """
    if not isinstance(getattr(handle, "_compressor", None), _ZLIB_COMPRESSOR):
        return False
    handle._compressor = ParallelDeflate(level)
    return True
