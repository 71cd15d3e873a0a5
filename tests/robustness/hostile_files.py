"""Bad input files written into a directory: the files a hostile or careless user hands the CLI."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np


def _npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """A valid ``.npy`` v1 header claiming ``shape`` (no data follows unless the caller adds it)."""
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode("latin1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def write_hostile_files(root: Path) -> dict[str, Path]:
    """Write every hostile file under ``root`` and return them by name."""
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        (root / name).write_bytes(data)
        files[name] = root / name

    put("empty.npz", b"")
    put("corrupt.npz", b"PK\x03\x04" + bytes(range(256)) * 4)
    put("renamed.npz", b"sentence one\nsentence two\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # a header claiming 1e12 float64 elements (8 TB)
        zf.writestr("attn.npy", _npy_header((10**6, 10**6)))
    put("huge_header.npz", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(
        buf, "w", compression=zipfile.ZIP_DEFLATED
    ) as zf:  # 256 KB -> 256 MiB of zeros: a ratio of 1000
        with zf.open("attn.npy", "w", force_zip64=True) as member:
            member.write(_npy_header((1, 1, 2**13, 2**12)))
            chunk = bytes(2**20)
            for _ in range(2**8):
                member.write(chunk)
    put("zip_bomb.npz", buf.getvalue())
    nan_maps = np.full((2, 2, 6, 6), np.nan)
    buf = io.BytesIO()
    np.savez(buf, attn=nan_maps)
    put("nan_maps.npz", buf.getvalue())
    maps = np.random.default_rng(0).random((12, 4, 300, 300))  # valid and large: a real model's size
    np.savez(root / "big_valid.npz", attn=maps / maps.sum(axis=-1, keepdims=True))
    files["big_valid.npz"] = root / "big_valid.npz"
    buf = io.BytesIO()
    np.savez(buf, attn=np.ones((3, 3)))  # wrong rank
    put("rank2.npz", buf.getvalue())
    buf = io.BytesIO()
    np.savez(buf, attn=np.array(["a", "b"]))  # strings
    put("strings.npz", buf.getvalue())
    for n in (1, 2):  # SST directories with one or two lines
        d = root / f"sst{n}"
        d.mkdir(exist_ok=True)
        lines = ["1 a fine film", "0 a dull film"][:n]
        for split in ("train", "dev", "test"):
            (d / f"stsa.binary.{split}").write_text("\n".join(lines) + "\n")
            (d / f"stsa.fine.{split}").write_text("\n".join(lines) + "\n")
        files[f"sst{n}"] = d
    d = root / "sst_oneclass"
    d.mkdir(exist_ok=True)
    for split in ("train", "dev", "test"):
        (d / f"stsa.binary.{split}").write_text("".join(f"1 good film number {i}\n" for i in range(20)))
    files["sst_oneclass"] = d
    d = root / "sst_same"
    d.mkdir(exist_ok=True)
    for split in ("train", "dev", "test"):
        (d / f"stsa.binary.{split}").write_text("".join(f"{i % 2} same words\n" for i in range(20)))
    files["sst_same"] = d
    (root / "a_directory.npz").mkdir(exist_ok=True)
    files["a_directory.npz"] = root / "a_directory.npz"
    ro = root / "readonly"
    ro.mkdir(exist_ok=True)
    ro.chmod(0o555)
    files["readonly"] = ro
    return files
