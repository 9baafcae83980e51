"""Print what a script met for the first time costs: the cold render (its face fetched from a
local font source) and the warm renders after it, in one run.

    .venv/bin/python benchmarks/bench_fallback.py [--repeat 50]

The font source is the multilingual check's (``tests/fidelity/fontsource.py``): Debian's
Noto fonts (fonts-noto-core, fonts-noto-cjk; ``.ci/run`` installs them) served on
127.0.0.1 as the Google Fonts CSS API serves them. Each script renders in a fresh
Renderer with an empty disk cache and the process-wide caches cleared, so its first
render fetches the stylesheet and the face and parses them; the warm time is the median
of ``--repeat`` renders of the same template after it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from offer_render import NetworkPolicy, Renderer, RendererConfig  # noqa: E402
from offer_render.cache import clear_process_caches  # noqa: E402
from tests.fidelity import fontsource  # noqa: E402

TEXTS = {
    "Korean (ko)": ("ko", "모든 인간은 태어날 때부터 자유로우며 존엄성과 권리에 있어 동등하다."),
    "Japanese (ja)": ("ja", "すべての人間は、生まれながらにして自由であり、"
                            "かつ、尊厳と権利とについて平等である。"),
    "Tibetan (bo)": ("bo", "འགྲོ་བ་མིའི་རིགས་རྒྱུད་ཡོངས་ལ་སྐྱེས་ཙམ་ཉིད་ནས་ཆེ་མཐོངས་དང༌།"),
    "Odia (or)": ("or", "ସମସ୍ତ ମନୁଷ୍ୟ ଜନ୍ମକାଳରୁ ସ୍ୱାଧୀନ ଏବଂ ମର୍ଯ୍ୟାଦା ଓ ଅଧିକାରରେ ସମାନ।"),
}


def template(text: str) -> dict[str, object]:
    """Return a 1080x1080 template with ``text`` in a sans-serif paragraph."""
    return {"width": 1080, "height": 1080, "rectangles": [{
        "name": "text", "width": 1000, "height": 600, "padding": 20, "offset_left": 40,
        "offset_top": 240, "text_align": "left", "color": "#222222", "font_size": 48,
        "font_family": "sans-serif", "font_url": None, "content": text}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="warm renders per script")
    args = parser.parse_args()
    if not fontsource.available():
        sys.exit("Debian's Noto fonts are not installed (apt-get install fonts-noto-core "
                 "fonts-noto-cjk)")
    print(f"{'script':16} {'cold ms':>9} {'warm ms':>9} {'cold/warm':>10}  face fetched")
    with tempfile.TemporaryDirectory() as tmp, fontsource.serve_font_source(Path(tmp)) as src:
        for name, (locale, text) in TEXTS.items():
            clear_process_caches()
            renderer = Renderer(RendererConfig(
                network=NetworkPolicy(allow_hosts=frozenset({"127.0.0.1"})),
                font_source=src.base_url, cache_dir=Path(tmp) / f"cache-{locale}"))
            tmpl = template(text)
            start = time.perf_counter()
            result = renderer.render(tmpl, locale=locale, format="jpeg")
            cold = (time.perf_counter() - start) * 1000
            warm = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                renderer.render(tmpl, locale=locale, format="jpeg")
                warm.append((time.perf_counter() - start) * 1000)
            median = statistics.median(warm)
            fetched = ", ".join(f["family"] for f in result.report["rectangles"][0]["faces"]
                                if f.get("provider") == "font_source") or "none (bundled)"
            print(f"{name:16} {cold:9.1f} {median:9.2f} {cold / median:10.0f}  {fetched}")


if __name__ == "__main__":
    main()
