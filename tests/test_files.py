"""Writing files: atomic writes keep the umask untouched, and a full disk is one clean error.

The disk-full tests mount a real 256 KiB tmpfs (root only; skipped with the reason
otherwise) and fill it with real renders.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from offer_render.batch.manifest import Record, open_manifest
from offer_render.batch.runner import remove_temp_files
from offer_render.errors import OfferRenderError, WriteError
from offer_render.files import temp_name, write_atomic
from tests.helpers.batchdata import read_manifest, small_offer

CLI = [sys.executable, "-m", "offer_render"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OFFER_RENDER_DEBUG": ""}
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """Mount a 256 KiB tmpfs in ``tmp_path``; unmount it afterwards."""
    point = tmp_path / "small-disk"
    point.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte with one file; return it."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for block in (65536, 1):  # big blocks, then byte by byte up to the last one
            with pytest.raises(OSError, match="No space left on device"):  # noqa: PT012
                while True:
                    os.write(fd, bytes(block))
    finally:
        os.close(fd)
    return filler


def noise_background(path: Path, size: int) -> None:
    """Write a PNG of random pixels: it does not compress, so its renders fill a disk fast."""
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(path)


# --- write_atomic -----------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_write_atomic_gives_the_umask_mode_without_calling_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mask: int
) -> None:
    def no_umask(_: int) -> int:
        msg = "os.umask changes process-wide state: write_atomic must not call it"
        raise AssertionError(msg)

    old = os.umask(mask)
    try:
        monkeypatch.setattr(os, "umask", no_umask)
        write_atomic(tmp_path / "sub" / "a.png", b"first")
        write_atomic(tmp_path / "sub" / "a.png", b"second")
    finally:
        monkeypatch.undo()
        os.umask(old)
    target = tmp_path / "sub" / "a.png"
    assert target.read_bytes() == b"second"
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in target.parent.iterdir()] == ["a.png"]


def test_a_new_file_is_named_once_whole_without_a_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Linux: an unnamed file (O_TMPFILE) linked when whole, one change to the folder
    calls: list[tuple[str, str]] = []

    def no_rename(src: str, dst: str, **_: object) -> None:
        calls.append((src, dst))
        msg = "a new file needs no temp file and no rename"
        raise AssertionError(msg)

    monkeypatch.setattr(os, "replace", no_rename)
    write_atomic(tmp_path / "new" / "offer-1.png", b"image", durable=False)
    assert (tmp_path / "new" / "offer-1.png").read_bytes() == b"image"
    assert calls == []


KILLED_WRITER = """
import sys, time
from pathlib import Path
import offer_render.files as files

def stall(*args, **kwargs):
    print("written", flush=True)  # the data is in the file; its name is not given yet
    time.sleep(60)

files._link = stall  # an unnamed file, whole, before its link
files.os.replace = stall  # (a temp file, whole, before its rename: it would be left)
files.write_atomic(Path(sys.argv[1]), b"x" * 100_000)
"""


def test_a_writer_killed_before_naming_its_file_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "offer-1.png"
    target.parent.mkdir()
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "written\n"
    finally:
        child.kill()
        child.wait()
    assert list(target.parent.iterdir()) == []  # no temp file, no half image


def test_without_unnamed_files_it_writes_a_temp_file_and_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open
    refused: list[int] = []

    def no_tmpfile(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:  # as a filesystem without them answers
            refused.append(flags)
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", no_tmpfile)
    write_atomic(tmp_path / "a.png", b"first")
    write_atomic(tmp_path / "a.png", b"second")
    monkeypatch.undo()
    assert len(refused) == 2
    assert (tmp_path / "a.png").read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_temp_names_are_random_and_the_batch_recognises_them(tmp_path: Path) -> None:
    names = {temp_name(tmp_path / "offer-1.png").name for _ in range(50)}
    assert len(names) == 50
    assert all(n.startswith(".offer-1.png.") and n.endswith(".tmp") for n in names)
    left = temp_name(tmp_path / "offer-1.png")
    left.write_bytes(b"half an image")
    (tmp_path / "offer-1.png").write_bytes(b"image")
    assert remove_temp_files(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["offer-1.png"]


def test_write_atomic_on_a_full_disk_keeps_the_old_file(small_disk: Path) -> None:
    target = small_disk / "out.png"
    write_atomic(target, b"old image")
    fill(small_disk)
    with pytest.raises(WriteError) as info:
        write_atomic(target, bytes(100_000))
    err = info.value
    assert str(err) == f"cannot write {target}: No space left on device"
    assert err.errno == errno.ENOSPC
    assert isinstance(err, OSError)  # the download cache skips failed writes as OSErrors
    assert isinstance(err, OfferRenderError)
    assert err.exit_code == 1
    assert target.read_bytes() == b"old image"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "out.png"]


def test_a_manifest_append_the_disk_refuses_is_undone(small_disk: Path) -> None:
    path = small_disk / "manifest.jsonl"
    first = Record("a", None, 1, "ok", path="a.png", sha256="1" * 64)
    manifest = open_manifest(path)
    try:
        manifest.append([first])
        filler = fill(small_disk)
        # longer than the rest of the file's last page: part of it would be written
        big = Record("b", None, 2, "error", error="x" * 20_000)
        with pytest.raises(WriteError, match=f"cannot write {path}: No space left on device"):
            manifest.append([big])
        assert path.read_bytes() == first.to_json()
        filler.unlink()
        manifest.append([big])
    finally:
        manifest.close()
    assert [r["offer_id"] for r in read_manifest(path)] == ["a", "b"]


# --- the command line on a full disk -------------------------------------------------


def test_render_to_a_full_disk_is_one_line_exit_1_and_leaves_nothing(
    tmp_path: Path, small_disk: Path
) -> None:
    noise_background(tmp_path / "noise.png", 400)  # its PNG render is about 480 KB
    template = {"width": 400, "height": 400, "background_url": "noise.png"}
    (tmp_path / "t.json").write_text(json.dumps(template))
    out = small_disk / "out.png"
    done = run("render", "t.json", "-o", str(out), "--report", str(small_disk / "r.json"),
               cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == f"offer-render: error: cannot write {out}: No space left on device\n"
    assert list(small_disk.iterdir()) == []  # no temp file, no half image, no orphan report


def test_image_to_stdout_on_a_full_disk_is_one_line_exit_1(
    tmp_path: Path, small_disk: Path
) -> None:
    noise_background(tmp_path / "noise.png", 400)
    (tmp_path / "t.json").write_text(json.dumps(
        {"width": 400, "height": 400, "background_url": "noise.png"}))
    with (small_disk / "redirected.png").open("wb") as stdout:
        done = subprocess.run([*CLI, "render", "t.json", "-o", "-"], cwd=tmp_path,
                              stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr == "offer-render: error: cannot write <stdout>: No space left on device\n"


@pytest.mark.parametrize("jobs", ["1", "2"])  # 1: the driver's writer thread writes
def test_batch_on_a_full_disk_stops_cleanly_and_resumes(
    tmp_path: Path, small_disk: Path, jobs: str
) -> None:
    noise_background(tmp_path / "noise.png", 160)  # each image about 77 KB: three fit
    offers = tmp_path / "offers.jsonl"
    offers.write_text("".join(
        json.dumps(small_offer(i, width=160, height=160, background="noise.png")) + "\n"
        for i in range(12)))
    args = ["batch", str(offers), "--out", str(small_disk), "--jobs", jobs,
            "--allow-local-files", "--quiet"]
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"offer-render: error: cannot write {small_disk}/")
    assert done.stderr.endswith(": No space left on device\n")
    assert "internal error" not in done.stderr
    assert [p.name for p in small_disk.iterdir() if p.name.endswith(".tmp")] == []
    records = read_manifest(small_disk / "manifest.jsonl")  # every line whole JSON
    written = [r for r in records if r["status"] == "ok"]
    assert written, "the disk filled before the first image"
    assert len(written) < 12
    for rec in written:
        data = (small_disk / rec["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == rec["sha256"]

    # with room again, the same command finishes the job and keeps what was written
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)
    again = run(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    last = read_manifest(small_disk / "manifest.jsonl")[-12:]
    assert sum(r["status"] == "skipped" for r in last) == len(written)
    assert sum(r["status"] == "ok" for r in last) == 12 - len(written)
