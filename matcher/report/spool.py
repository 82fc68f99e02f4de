"""Output files written on a background thread while the next bytes are produced.

`matcher run` renders its outputs one after another; at a million applicants they are
about a gigabyte, and handing each block to the kernel (and the final fsync) holds the
rendering thread for seconds. A `Spool` takes the blocks in order and writes them to
private temporary files from one background thread (file writes release the GIL), so
rendering goes on meanwhile. At most `DEPTH` blocks wait, so memory stays bounded.

Each file is created at the path it is given (mode 0o600, never an existing file),
written in order, flushed and fsynced; `Spool.close` waits for all of it and raises the
first error met, `Spool.abandon` removes every file it created. A finished file is
fsynced (and closed) by one of `SYNC_THREADS` threads while the next ones are written: the
kernel then commits several files' fsyncs at once (a run's sixty small notification
lists each waited for its own commit before). `Spool.close` and `Spool.abandon` stop
every thread, so none outlives the write. The paths lie in a
staging folder that `matcher.report.publish` swaps in whole: publishing the set is the
caller's business.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

#: Blocks waiting for the writing thread at most.
DEPTH = 2
FILE_MODE = 0o600
#: Threads that fsync and close finished files.
SYNC_THREADS = 4

_CLOSE = object()


class SpoolFile:
    """One staged file: `write` hands bytes to the spool's thread; `close` ends the file."""

    def __init__(self, spool: Spool, path: Path) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags, FILE_MODE)
        self.path = path
        self._handle: BinaryIO = os.fdopen(descriptor, "wb", buffering=1 << 20)
        self._spool = spool

    def write(self, data: bytes) -> int:
        """Hand `data` to the spool's thread (waits while `DEPTH` blocks wait)."""
        self._spool._put(self, bytes(data))
        return len(data)

    def direct(self, write: Callable[[BinaryIO], None]) -> None:
        """Let `write` write the whole file itself, seeking as it needs, on this thread.

        Only before anything else is written to the file and before `close`: the spool's
        thread does not touch a file until its first block or its end is handed over.
        """
        write(self._handle)

    def close(self) -> None:
        """End the file: flushed, fsynced and made private on the spool's thread."""
        self._spool._put(self, _CLOSE)

    def _write(self, item: object) -> None:  # on the spool's thread
        handle = self._handle
        if item is _CLOSE:
            handle.flush()
            self._spool._sync(self._finish)
        else:
            assert isinstance(item, bytes)
            handle.write(item)

    def _finish(self) -> None:  # on a sync thread, once everything is written
        with self._handle as handle:
            os.fsync(handle.fileno())
        os.chmod(self.path, FILE_MODE)

    def _abandon(self) -> None:  # after the thread stopped
        try:
            if not self._handle.closed:
                self._handle.close()  # flushes what is buffered: fails on a full disk
        except OSError:
            pass  # the descriptor is closed all the same, and the file goes
        finally:
            self.path.unlink(missing_ok=True)


class Spool:
    """Write staged files from one background thread, in the order the blocks come."""

    def __init__(self) -> None:
        self.files: list[SpoolFile] = []
        self._queue: queue.Queue[tuple[SpoolFile, object] | None] = queue.Queue(DEPTH)
        self._failure: BaseException | None = None
        self._syncs = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="spool-sync")
        self._thread = threading.Thread(target=self._drain, name="spool", daemon=True)
        self._thread.start()

    def open(self, path: Path) -> SpoolFile:
        """A new file at `path` (which must not exist), to be written through this spool."""
        self._raise()
        staged = SpoolFile(self, path)
        self.files.append(staged)
        return staged

    def close(self) -> None:
        """Wait until everything handed over is written; raise the first error met."""
        self._stop()
        self._raise()

    def abandon(self) -> None:
        """Stop, then remove every temporary file (after an error)."""
        self._stop()
        for staged in self.files:
            staged._abandon()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._syncs.shutdown(wait=True)

    def _sync(self, finish: Callable[[], None]) -> None:  # on the spool's thread
        """Run `finish` on a sync thread; its error is raised on the caller's next step."""

        def run() -> None:
            try:
                finish()
            except BaseException as error:
                if self._failure is None:
                    self._failure = error

        self._syncs.submit(run)

    def _put(self, staged: SpoolFile, item: object) -> None:
        self._raise()
        self._queue.put((staged, item))

    def _raise(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _drain(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._failure is None:
                staged, item = job
                try:
                    staged._write(item)
                except BaseException as error:  # re-raised on the caller's next step
                    self._failure = error
