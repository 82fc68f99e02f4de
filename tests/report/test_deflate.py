"""Deflating a zip member on threads: one valid stream, the same bytes however threaded."""

from __future__ import annotations

import io
import os
import zipfile
import zlib

import pytest

from matcher.report.deflate import ParallelDeflate, parallel_member


def _blocks() -> list[bytes]:
    text = "".join(
        f'<row r="{i}"><c><v>{i}</v></c><is><t>名字{i % 97}</t></is></row>' for i in range(3_000)
    )
    return [
        text.encode("utf-8"),
        b"",
        os.urandom(70_000),  # incompressible: stored blocks inside the stream
        b"x" * 200_000,
        "末尾".encode(),
    ]


def _deflated(blocks: list[bytes], threads: int, level: int = 3) -> bytes:
    compressor = ParallelDeflate(level, threads=threads)
    return b"".join(compressor.compress(block) for block in blocks) + compressor.flush()


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_concatenated_blocks_inflate_to_the_input(threads):
    blocks = _blocks()
    stream = _deflated(blocks, threads)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    assert inflater.decompress(stream) + inflater.flush() == b"".join(blocks)
    assert inflater.eof and not inflater.unused_data  # the stream ends where it should


def test_same_bytes_however_many_threads():
    blocks = _blocks()
    assert _deflated(blocks, 1) == _deflated(blocks, 2) == _deflated(blocks, 4)
    assert _deflated(blocks, 2, level=1) != _deflated(blocks, 2, level=6)


def test_no_blocks_is_an_empty_stream():
    stream = _deflated([], 2)
    assert zlib.decompress(stream, -zlib.MAX_WBITS) == b""


def test_a_zip_member_deflated_on_threads_reads_back():
    blocks = _blocks()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        with target.open("xl/worksheets/sheet1.xml", "w") as handle:
            assert parallel_member(handle, 3)  # this Python's zipfile takes it
            for block in blocks:
                handle.write(block)
        target.writestr("other.xml", b"<other/>")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        assert source.testzip() is None  # every CRC checks
        assert source.read("xl/worksheets/sheet1.xml") == b"".join(blocks)
        assert source.read("other.xml") == b"<other/>"


def test_an_unexpected_handle_is_left_alone():
    class Handle:
        _compressor = None  # a stored member: nothing to replace

    handle = Handle()
    assert not parallel_member(handle, 3)
    assert handle._compressor is None
    assert not parallel_member(object(), 3)
