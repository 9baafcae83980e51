"""Measure renders against the limit: warm engine, encode floor, a naive baseline, cold, RSS.

For three 1080x1080 templates (one line on a plain background; a paragraph on a
photo; a 4000x3000 photo cropped to cover), in JPEG q90 and PNG, in one run:

- warm: the engine's render time with warm caches (median of ``--repeat`` renders);
- floor: Pillow encoding the finished image with the same settings (median);
- baseline: a straightforward renderer written here (downloads the fonts and the
  background from the same server on every call, draws with ImageDraw, encodes);
- cold: a render with every cache empty, fonts and background from a local HTTP server;
- RSS: peak resident memory over ``--rss-renders`` renders of 100 different templates,
  sampled as it goes (in a child process, so this process's memory does not count).

Prints the ratios engine/floor and baseline/engine. Absolute times drift on a shared
machine; ratios measured in one run hold. Usage:
``python benchmarks/bench_warm.py [--repeat 200] [--rss-renders 10000]``.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import requests
from PIL import Image, ImageDraw, ImageFont, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from offer_render import NetworkPolicy, Renderer, RendererConfig  # noqa: E402
from offer_render.cache import clear_process_caches  # noqa: E402
from offer_render.encode.encoders import JPEG_QUALITY, PNG_COMPRESS_LEVEL  # noqa: E402
from tests.fidelity.server import serve  # noqa: E402

LOREM = ("Fresh coffee and warm pastries every morning. Bring a friend and the second cup "
         "is on us, all week long, in every café of the centre. Open daily from seven.")


def make_assets(folder: Path) -> None:
    """Write the benchmark's backgrounds: a plain colour, a photo, a 4000x3000 photo."""
    Image.new("RGB", (1080, 1080), (245, 238, 225)).save(folder / "plain.png")
    photo = Image.open(REPO / "fixtures" / "backgrounds" / "coffee.jpg").convert("RGB")
    ImageOps.fit(photo, (1080, 1080)).save(folder / "photo.jpg", quality=90)
    photo.resize((4000, 3000), Image.Resampling.BICUBIC).save(folder / "big.jpg", quality=90)


def rect(**kw: Any) -> dict[str, Any]:
    base = {"name": "t", "width": 1000, "height": 300, "padding": 20, "offset_left": 40,
            "offset_top": 40, "text_align": "left", "color": "#1A1A1A", "font_size": 64,
            "font_family": "Raleway", "font_url": None}
    return base | kw


def templates(base: str) -> dict[str, dict[str, Any]]:
    """Return the three templates, fonts and backgrounds served from ``base``."""
    raleway = f"{base}/fixtures/fonts/raleway-vf.css"
    playfair = f"{base}/fixtures/fonts/playfair.css"
    return {
        "one-line/plain": {"width": 1080, "height": 1080,
                           "background_url": f"{base}/tmp/plain.png",
                           "rectangles": [rect(content="Coffee week: -50%", font_url=raleway,
                                               font_weight=700, offset_top=480, height=120,
                                               text_align="center")]},
        "paragraph/photo": {"width": 1080, "height": 1080,
                            "background_url": f"{base}/tmp/photo.jpg",
                            "rectangles": [
                                rect(content="Coffee week", font_url=raleway, font_weight=800,
                                     color="#FFFFFF", font_size=96, height=160),
                                rect(name="body", content=LOREM, font_url=playfair,
                                     font_family="'Playfair Display', serif", font_size=44,
                                     color="#FFF8E7", offset_top=600, height=440,
                                     text_align="justify")]},
        "cover/4000x3000": {"width": 1080, "height": 1080,
                            "background_url": f"{base}/tmp/big.jpg",
                            "rectangles": [rect(content="Big photo, cropped to cover",
                                                font_url=raleway, color="#FFFFFF",
                                                offset_top=880, height=140)]},
    }


def median_ms(func: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``func`` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def pillow_encode(image: Image.Image, fmt: str) -> bytes:
    """Encode the whole image with the engine's settings, straight through Pillow (the floor).

    JPEG output has a restart marker after each MCU row, as the engine's does (they
    cost nothing measurable to write).
    """
    out = io.BytesIO()
    if fmt == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, subsampling="4:2:0",
                                  restart_marker_rows=1)
    else:
        image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def baseline_render(template: dict[str, Any], fonts: dict[str, str], fmt: str) -> bytes:
    """Render the way a first version would: download the fonts and the background on
    every call, draw with ImageDraw (wrapping at spaces), encode."""
    background = requests.get(template["background_url"], timeout=10).content
    canvas = ImageOps.fit(Image.open(io.BytesIO(background)).convert("RGBA"),
                          (template["width"], template["height"]))
    draw = ImageDraw.Draw(canvas)
    for r in template["rectangles"]:
        font_bytes = requests.get(fonts[r["name"]], timeout=10).content
        font = ImageFont.truetype(io.BytesIO(font_bytes), r["font_size"])
        words, lines, line = r["content"].split(), [], ""
        for word in words:
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) <= r["width"] - 2 * r["padding"] or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        lines.append(line)
        y = r["offset_top"] + r["padding"]
        for text in lines:
            draw.text((r["offset_left"] + r["padding"], y), text, font=font, fill=r["color"])
            y += font.size * 1.2
    return pillow_encode(canvas, fmt)


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rss-renders", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            serve(Path(tmp), cache_control="max-age=86400") as base:
        make_assets(Path(tmp))
        base_tmp = base + "/__pages"
        tpls = {k: json.loads(json.dumps(v).replace(f"{base}/tmp/", f"{base_tmp}/"))
                for k, v in templates(base).items()}
        policy = NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}))
        config = RendererConfig(network=policy, cache_dir=Path(tmp) / "cache",
                                default_max_age=3600)
        renderer = Renderer(config)
        fonts = {"t": f"{base}/fixtures/fonts/Raleway-VF.ttf",
                 "body": f"{base}/fixtures/fonts/PlayfairDisplay-VF.ttf"}
        print(f"{'template':<18}{'fmt':<6}{'warm ms':>9}{'floor ms':>10}{'base ms':>9}"
              f"{'cold ms':>9}{'eng/floor':>11}{'base/eng':>10}")
        for name, tpl in tpls.items():
            for fmt in ("jpeg", "png"):
                renderer.render(tpl, format=fmt)
                warm = median_ms(partial(renderer.render, tpl, format=fmt), args.repeat)
                image = renderer.paint(tpl).image
                floor = median_ms(partial(pillow_encode, image, fmt), args.repeat)
                naive = median_ms(partial(baseline_render, tpl, fonts, fmt),
                                  max(10, args.repeat // 10))
                cold = median_ms(partial(cold_render, tpl, fmt, policy, Path(tmp)), 5)
                print(f"{name:<18}{fmt:<6}{warm:>9.2f}{floor:>10.2f}{naive:>9.2f}{cold:>9.1f}"
                      f"{warm / floor:>11.2f}{naive / warm:>10.1f}")
        print(rss_report(args.rss_renders, tpls))


def cold_render(tpl: dict[str, Any], fmt: str, policy: NetworkPolicy, tmp: Path) -> None:
    """Render with every cache empty: process caches cleared, a new Renderer, no disk cache."""
    clear_process_caches()
    Renderer(RendererConfig(network=policy, cache_dir=None)).render(tpl, format=fmt)


def rss_report(renders: int, tpls: dict[str, dict[str, Any]]) -> str:
    """Run the RSS measurement in a child process and return its summary line."""
    child = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(renders), json.dumps(tpls)],
        capture_output=True, text=True, check=True,
    )
    return child.stdout.strip()


def rss_child(renders: int, tpls: dict[str, dict[str, Any]]) -> None:
    """Render ``renders`` times over 100 templates; print RSS after warm-up and at the end."""
    policy = NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"}))
    renderer = Renderer(RendererConfig(network=policy, cache_dir=None, default_max_age=3600))
    variants = []
    for i in range(100):
        tpl = json.loads(json.dumps(list(tpls.values())[i % 3]))
        tpl["rectangles"][0]["content"] = f"Offer {i}: {LOREM[: 20 + i % 60]}"
        variants.append(tpl)
    samples = []
    for n in range(renders):
        renderer.render(variants[n % 100], format="jpeg")
        if n + 1 in (1000, renders // 2, renders):
            samples.append((n + 1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    text = ", ".join(f"{n} renders: {mb:.0f} MB" for n, mb in samples)
    print(f"peak RSS over {renders} renders of 100 templates: {text}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--rss-child":
        rss_child(int(sys.argv[2]), json.loads(sys.argv[3]))
    else:
        main()
