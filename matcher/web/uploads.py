"""Checks of an uploaded file before it is stored: name, size, type, zip bombs.

An upload is refused with an `UploadRefused` (a stable code and a Chinese message saying
what to do) when its name is not a plain file name of an allowed type, when it is empty or
larger than the limit, when its bytes are not what its name says (a workbook must be a
zip with ``[Content_Types].xml``, an .xls an OLE2 file, a CSV text without NUL bytes), or
when a workbook would unpack to too much (a zip bomb). The readers' own guards still run
on what is accepted.
"""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # unpacked / packed size of a workbook
MAX_ENTRIES = 5000
MAX_NAME = 120
_OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass(frozen=True)
class UploadRefused(Exception):
    """An upload that was not stored: the file name as sent, a code, a Chinese message."""

    name: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}：{self.message}"


def clean_name(sent: str) -> str:
    r"""The file name to store, or `UploadRefused` (UPLOAD_NAME_INVALID, UPLOAD_WRONG_TYPE).

    A name with a folder part (``/``, ``\\``), a ``..``, a control character or a leading
    dot is refused, not repaired: a browser never sends one.
    """
    name = unicodedata.normalize("NFC", sent or "").strip()
    bad = (
        not name
        or "/" in name
        or "\\" in name
        or ".." in name
        or name.startswith(".")
        or len(name) > MAX_NAME
        or any(unicodedata.category(c).startswith("C") for c in name)
    )
    if bad:
        raise UploadRefused(
            sent[:MAX_NAME],
            "UPLOAD_NAME_INVALID",
            "文件名无效（不能含路径、“..”、控制字符，不能以“.”开头，不超过120个字符），"
            "请改名后重新上传",
        )
    if Path(name).suffix.lower() not in SUFFIXES:
        raise UploadRefused(
            name,
            "UPLOAD_WRONG_TYPE",
            "只接受 .xlsx、.xlsm、.xls 或 .csv 文件；请在Excel或WPS中“另存为”.xlsx 后上传",
        )
    return name


def copy_limited(source: BinaryIO, target: BinaryIO, name: str, limit: int) -> int:
    """Copy `source` into `target`, refusing more than `limit` bytes; the bytes copied."""
    total = 0
    while chunk := source.read(1024 * 1024):
        total += len(chunk)
        if total > limit:
            raise UploadRefused(
                name,
                "UPLOAD_TOO_LARGE",
                f"文件超过 {limit // (1024 * 1024)} MB 的上限；"
                "请删去多余的工作表或图片后另存再上传",
            )
        target.write(chunk)
    if total == 0:
        raise UploadRefused(name, "UPLOAD_EMPTY", "文件是空的（0 字节），请重新导出后上传")
    return total


def check_content(path: Path, name: str) -> None:
    """Refuse a stored upload whose bytes do not fit its type, or a zip bomb."""
    suffix = Path(name).suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(8192)
    wrong = UploadRefused(
        name,
        "UPLOAD_WRONG_TYPE",
        f"文件内容不是{suffix}格式（可能只是改了扩展名）；请用Excel或WPS打开后另存为.xlsx再上传",
    )
    if suffix in (".xlsx", ".xlsm"):
        if not head.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(path):
            raise wrong
        _check_zip(path, name, wrong)
    elif suffix == ".xls":
        if not head.startswith(_OLE2):
            raise wrong
    elif b"\x00" in head or head.startswith((b"PK\x03\x04", _OLE2)):
        raise wrong


def _check_zip(path: Path, name: str, wrong: UploadRefused) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise wrong from None
    if not any(e.filename == "[Content_Types].xml" for e in entries):
        raise wrong
    unpacked = sum(e.file_size for e in entries)
    packed = max(path.stat().st_size, 1)
    if len(entries) > MAX_ENTRIES or unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * packed:
        raise UploadRefused(
            name,
            "UPLOAD_ZIP_BOMB",
            f"工作簿解压后过大（{unpacked // (1024 * 1024)} MB，{len(entries)} 个部件），"
            "不像一份汇总表；请只保留汇总表工作表、另存为新的.xlsx后上传",
        )
