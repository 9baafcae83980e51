"""Hostile web fonts and stylesheets: garbage, truncated, bombs, OTS rejections, rule floods."""

from __future__ import annotations

import io
import os
import struct
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont

from offer_render.config import BUNDLED_FONTS_DIR, Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import ResourceError
from offer_render.resources.fontdb import FontDatabase
from offer_render.resources.fonts import resolve_font_stack
from offer_render.resources.sanitize import REJECTED, sanitize_font
from offer_render.resources.webfonts import FontCache
from offer_render.template.models import Rectangle
from tests.conftest import LocalServer
from tests.hostile.helpers import codes, rect, renderer, template, within

DEJAVU = (BUNDLED_FONTS_DIR / "DejaVuSans.ttf").read_bytes()
RALEWAY = Path(__file__).resolve().parents[2] / "fixtures" / "fonts" / "Raleway-VF.ttf"


def _serve_font(server: LocalServer, name: str, data: bytes, family: str = "Hostile") -> str:
    """Serve ``data`` as a font and a stylesheet naming it; return the stylesheet URL."""
    (server.served_tmp / name).write_bytes(data)
    css = f"@font-face {{ font-family: '{family}'; src: url({name}); }}\n"
    (server.served_tmp / f"{name}.css").write_text(css)
    return server.url(f"/tmp/{name}.css")


def _render_with_font(server: LocalServer, name: str, data: bytes, **limits: Any
                      ) -> dict[str, Any]:
    css = _serve_font(server, name, data)
    with within(3.0):
        result = renderer(**limits).render(
            template(rect("Hello", font_family="Hostile, sans-serif", font_url=css)))
    assert result.width == 200
    faces = {f["family"] for r in result.report["rectangles"] for f in r["faces"]}
    assert "Hostile" not in faces  # fell back
    assert "Noto Sans" in faces  # sans-serif
    return result.report


def _head_offset(data: bytes) -> int:
    return int(TTFont(io.BytesIO(data)).reader.tables["head"].offset)


def test_random_bytes_font_falls_back_with_a_warning(http_server: LocalServer) -> None:
    report = _render_with_font(http_server, "random.ttf", os.urandom(20_000))
    assert "not a font: unknown signature" in codes(report)["font_unavailable"]


def test_random_bytes_behind_an_sfnt_signature_are_rejected_by_ots(
    http_server: LocalServer
) -> None:
    report = _render_with_font(http_server, "fake-sfnt.ttf", b"\0\1\0\0" + os.urandom(20_000))
    assert REJECTED in codes(report)["font_unavailable"]


def test_truncated_ttf_is_rejected_by_ots(http_server: LocalServer) -> None:
    report = _render_with_font(http_server, "truncated.ttf", DEJAVU[:30_000])
    assert REJECTED in codes(report)["font_unavailable"]


def test_font_that_fonttools_accepts_but_ots_rejects_falls_back(
    http_server: LocalServer
) -> None:
    # Arrange: DejaVu with a broken head.magicNumber (fontTools parses it without a word)
    data = bytearray(DEJAVU)
    off = _head_offset(DEJAVU)
    data[off + 12:off + 16] = b"\0\0\0\0"
    # Act
    report = _render_with_font(http_server, "bad-head.ttf", bytes(data))
    # Assert
    message = codes(report)["font_unavailable"]
    assert f"{REJECTED}: head: Failed to read or incorrect magicNumber" in message


def test_woff2_claiming_a_huge_size_is_refused_unread(http_server: LocalServer) -> None:
    # Arrange: a WOFF2 header declaring a 4 GB font over nothing
    header = b"wOF2" + b"\0\1\0\0" + struct.pack(">IHHIIHHIIIII", 10_000, 1, 0, 0xFFFFFFF0,
                                                 1000, 1, 0, 0, 0, 0, 0, 0)
    data = header + os.urandom(1000)
    # Act
    report = _render_with_font(http_server, "huge.woff2", data)
    # Assert
    assert "WOFF2 unpacks to more than" in codes(report)["font_unavailable"]


def test_woff_zlib_bomb_is_refused_before_inflating(http_server: LocalServer) -> None:
    # Arrange: one table of 8 MB of zeros, compressed to ~8 KB, under a 1 MB unpacked cap
    table = zlib.compress(bytes(8_000_000), 9)
    header = struct.pack(">4s4sIHHIHHIIIII", b"wOFF", b"\0\1\0\0", 44 + 20 + len(table), 1, 0,
                         1000, 1, 0, 0, 0, 0, 0, 0)
    entry = struct.pack(">4sIIII", b"glyf", 64, len(table), 8_000_000, 0)
    data = header + entry + table
    # Act
    report = _render_with_font(http_server, "bomb.woff", data, max_sfnt_bytes=1_000_000)
    # Assert
    assert "not a font: WOFF unpacks to more than 1000000 bytes" in codes(report)[
        "font_unavailable"]


def test_rejected_font_is_an_error_in_strict_mode(http_server: LocalServer) -> None:
    css = _serve_font(http_server, "strict-truncated.ttf", DEJAVU[:20_000])
    with within(3.0), pytest.raises(ResourceError, match=f"{REJECTED}.*strict mode"):
        renderer().render(template(rect("Hi", font_family="Hostile", font_url=css)),
                          strict=True)


def test_stylesheet_with_1000_rules_and_import_reads_64_and_follows_nothing(
    http_server: LocalServer
) -> None:
    # Arrange: @import first, then 1000 rules for 1000 different fonts
    rules = "".join(
        f"@font-face {{ font-family: 'Flood'; font-weight: {100 + i % 9 * 100};"
        f" src: url(flood-{i}.ttf); }}\n" for i in range(1000))
    css = "@import url(/tmp/imported.css);\n" + rules
    (http_server.served_tmp / "flood.css").write_text(css)
    (http_server.served_tmp / "imported.css").write_text("@font-face{font-family:X;src:url(x)}")
    # Act
    with within(3.0):
        result = renderer().render(template(rect(
            "Hi", font_family="Flood, sans-serif",
            font_url=http_server.url("/tmp/flood.css"))))
    # Assert
    found = codes(result.report)
    assert "only the first 64 @font-face rules" in found["stylesheet_truncated"]
    assert not http_server.requested("/tmp/imported.css")
    fetched = [p for p in http_server.requests if p.startswith("/tmp/flood-")]
    assert all(int(p.split("-")[1].split(".")[0]) < 64 for p in fetched)


def test_oversized_stylesheet_is_skipped_with_a_warning(http_server: LocalServer) -> None:
    (http_server.served_tmp / "big.css").write_text("/*" + "x" * 600_000 + "*/")
    with within(3.0):
        result = renderer().render(template(rect(
            "Hi", font_family="Big, sans-serif", font_url=http_server.url("/tmp/big.css"))))
    message = codes(result.report)["font_unavailable"]
    assert "stylesheet is larger than the limit of 524,288 bytes" in message


def test_binary_garbage_stylesheet_gives_no_fonts_and_no_crash(
    http_server: LocalServer
) -> None:
    (http_server.served_tmp / "garbage.css").write_bytes(os.urandom(50_000))
    with within(3.0):
        result = renderer().render(template(rect(
            "Hi", font_family="G, sans-serif", font_url=http_server.url("/tmp/garbage.css"))))
    faces = {f["family"] for r in result.report["rectangles"] for f in r["faces"]}
    assert faces == {"Noto Sans"}
    assert "family_not_in_stylesheet" in codes(result.report)


def test_valid_woff2_passes_the_sanitizer_and_is_used(http_server: LocalServer) -> None:
    # Arrange: OTS gets the WOFF2 itself and hands back sfnt
    font = TTFont(str(RALEWAY))
    font.flavor = "woff2"
    out = io.BytesIO()
    font.save(out)
    css = _serve_font(http_server, "raleway-ok.woff2", out.getvalue(), family="Raleway")
    # Act
    with within(3.0):
        result = renderer().render(template(rect("Hi", font_family="Raleway", font_url=css)))
    # Assert
    assert result.report["rectangles"][0]["faces"][0]["family"] == "Raleway"
    assert "font_unavailable" not in codes(result.report)
    assert sanitize_font(out.getvalue(), limits=Limits())[:4] == b"\0\1\0\0"


def test_concurrent_loads_of_one_font_url_agree(http_server: LocalServer) -> None:
    # Arrange: one cache key (the URL) asked for by 8 threads at once, cold
    (http_server.served_tmp / "shared.ttf").write_bytes(RALEWAY.read_bytes())
    css = "@font-face { font-family: 'Shared'; src: url(shared.ttf); }"
    (http_server.served_tmp / "shared.css").write_text(css)
    cache = FontCache()
    fetcher = renderer().fetcher
    model = Rectangle.model_validate(rect("Hi", font_family="Shared",
                                          font_url=http_server.url("/tmp/shared.css")))
    results: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            stack = resolve_font_stack(model, "Hi", fetcher=fetcher,
                                       fontdb=FontDatabase((BUNDLED_FONTS_DIR,)),
                                       limits=Limits(), diag=Diagnostics(), rect_index=0,
                                       cache=cache)
            results.append(stack.primary.key)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    # Act
    threads = [threading.Thread(target=work) for _ in range(8)]
    with within(5.0):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # Assert
    assert errors == []
    assert len(results) == 8
    assert len(set(results)) == 1
