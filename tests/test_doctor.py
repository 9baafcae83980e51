"""offer_render.doctor: typed checks of the environment, for the CLI and a readiness probe."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import features

from offer_render import doctor
from offer_render.config import BUNDLED_FONTS_DIR
from offer_render.resources.fontdb import FontDatabase


def test_checks_are_typed_and_this_machine_is_ready(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "blob").write_bytes(b"x" * 1234)
    checks = doctor.run_checks(cache_dir=tmp_path / "cache")
    assert all(isinstance(c, doctor.Check) for c in checks)
    keys = [c.key for c in checks]
    assert keys == ["python", "pillow", "raqm", "fribidi", "harfbuzz", "uharfbuzz", "ots",
                    "freetype", "avif", "webp", "icu", "fonts", "cache"]
    by_key = {c.key: c for c in checks}
    assert by_key["raqm"].version == features.version("raqm")
    assert by_key["fribidi"].version == features.version("fribidi")
    assert {k for k, c in by_key.items() if not c.required} == {"avif", "webp", "cache"}
    faces = len(FontDatabase((), bundled_dir=BUNDLED_FONTS_DIR).faces())
    assert faces > 40  # the generics, the script faces and the last-resort faces
    assert by_key["fonts"].facts == {"path": str(BUNDLED_FONTS_DIR), "faces": faces}
    assert by_key["cache"].facts == {"path": str(tmp_path / "cache"), "writable": True,
                                     "bytes": 1234}
    assert doctor.ready(checks)
    assert doctor.missing(checks) == []
    assert json.loads(json.dumps([c.to_json() for c in checks]))[2]["status"] == "ok"


def test_a_font_folder_without_fonts_is_missing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.ttf").write_text("not a font")
    checks = doctor.run_checks([tmp_path / "empty"], cache_dir=tmp_path / "new" / "cache")
    missing = doctor.missing(checks)
    assert [(c.key, c.status) for c in missing] == [("font_dir", "missing")]
    assert missing[0].detail == f"{tmp_path / 'empty'}: no fonts in it"
    assert missing[0].facts["skipped"] == 1
    cache = checks[-1]
    assert (cache.ok, cache.facts["bytes"]) == (True, 0)  # not made yet, but can be
    assert not (tmp_path / "new").exists()  # the doctor creates nothing


def test_a_probe_that_raises_is_a_failed_check() -> None:
    def _broken() -> doctor.Check:
        msg = "libsomething.so: cannot open shared object file"
        raise OSError(msg)

    check = doctor._safely(_broken)
    assert (check.key, check.ok, check.required) == ("broken", False, True)
    assert check.detail == "check failed: OSError: libsomething.so: cannot open shared object file"
    assert not doctor.ready([check])
