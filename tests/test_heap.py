"""The steady heap: fixed allocator thresholds, and image pixels that a warm renderer reuses
instead of faulting in afresh at every render. Each check runs in a child process, as
the settings are process-wide."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from offer_render.heap import PILLOW_BLOCK_SIZE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="glibc's allocator settings")

SIDE = 1080

RENDER_FAULTS = textwrap.dedent(f"""
    import resource, sys
    from PIL import Image
    from offer_render import Renderer
    from offer_render.heap import steady_heap

    steady_heap()
    print(Image.core.get_block_size())
    template = {{"width": {SIDE}, "height": {SIDE}, "background_color": "#F4EDE0",
                "rectangles": [{{"name": "title", "width": 1000, "height": 300,
                                 "offset_left": 40, "offset_top": 40, "padding": 0,
                                 "text_align": "left", "font_family": "Noto Sans",
                                 "font_url": None, "font_size": 64, "color": "#222222",
                                 "content": "{{{{ name }}}}"}}]}}
    renderer = Renderer()
    for i in range(5):
        renderer.render(template, {{"name": {{"en": f"Warm {{i}}"}}}}, format="jpeg")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(10):
        renderer.render(template, {{"name": {{"en": f"Offer {{i}}"}}}}, format="jpeg")
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
""")


def test_a_warm_steady_renderer_reuses_its_pixels_memory_instead_of_faulting_it_in() -> None:
    done = subprocess.run([sys.executable, "-c", RENDER_FAULTS], capture_output=True,
                          text=True, check=True, timeout=120)
    block_size, faults = done.stdout.split()
    assert int(block_size) == PILLOW_BLOCK_SIZE
    # A 1080x1080 canvas is 855 pages in RGB alone; with one mapping per image (Pillow's
    # default blocks above glibc's fixed mmap threshold) a render faulted in about 670.
    canvas_pages = SIDE * SIDE * 3 // 4096
    assert float(faults) < canvas_pages / 10
