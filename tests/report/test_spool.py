import os

from matcher.report.spool import Spool


def test_abandon_removes_every_file_though_one_cannot_be_flushed(tmp_path):
    # On a full disk the buffered rest of a file cannot be written when it is closed:
    # the other files are still closed and removed (none left open on the disk).
    spool = Spool()
    first, second = spool.open(tmp_path / "a"), spool.open(tmp_path / "b")
    first.direct(lambda handle: handle.write(b"x" * 10))  # still in the buffer
    second.direct(lambda handle: handle.write(b"y" * 10))
    handle = first._handle

    def full(data):
        raise OSError(28, "No space left on device")

    handle.raw.write = full  # type: ignore[method-assign]
    spool.abandon()
    assert handle.closed and second._handle.closed
    assert os.listdir(tmp_path) == []
