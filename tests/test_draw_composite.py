"""Drawing runs onto a rectangle's layer: a run pasted where nothing is drawn yet, or one
cut to its ink, reaches the canvas as the same pixels as alpha-compositing every run."""

from __future__ import annotations

import random

from PIL import Image

from offer_render.raster.draw import DrawnBoxes, _composite, _trimmed


def glyphs(rng: random.Random, w: int, h: int) -> Image.Image:
    """Return a run-like image: transparent padding around antialiased ink of one colour."""
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    img = Image.new("RGBA", (w, h), (*colour, 0))
    for y in range(2, h - 2):
        for x in range(2, w - 2):
            img.putpixel((x, y), (*colour, rng.choice((0, 0, 40, 128, 200, 255))))
    return img


def on_canvas(layer: Image.Image) -> Image.Image:
    """Return ``layer`` as it reaches an opaque canvas: pasted with its alpha as mask."""
    canvas = Image.new("RGB", layer.size, (250, 240, 230))
    canvas.paste(layer.convert("RGB"), (0, 0), layer.getchannel("A"))
    return canvas


def test_runs_apart_and_overlapping_give_the_pixels_of_compositing_them_all() -> None:
    rng = random.Random(7)
    layer = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    reference = layer.copy()
    boxes = DrawnBoxes()
    # apart, touching, overlapping (the last only in the lower rows of the one before),
    # partly outside the layer on every side
    for x, y in ((5, 5), (30, 5), (44, 10), (-6, 30), (100, 40), (50, -4), (52, 20), (60, 38)):
        run = glyphs(rng, 24, 22)
        _composite(layer, run, x, y, boxes)
        reference.alpha_composite(run.crop((max(0, -x), max(0, -y), run.width, run.height)),
                                  dest=(max(0, x), max(0, y)))
    assert on_canvas(layer).tobytes() == on_canvas(reference).tobytes()
    assert layer.getchannel("A").tobytes() == reference.getchannel("A").tobytes()


def test_a_run_cut_to_its_ink_lands_on_the_same_pixels() -> None:
    run = glyphs(random.Random(3), 30, 26)
    cut, dx, dy = _trimmed(run, -4, -20)
    assert cut.size != run.size
    whole = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
    whole.alpha_composite(run, dest=(10 - 4, 40 - 20))
    trimmed = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
    trimmed.alpha_composite(cut, dest=(10 + dx, 40 + dy))
    assert whole.tobytes() == trimmed.tobytes()


def test_a_run_with_no_ink_is_empty() -> None:
    empty, dx, dy = _trimmed(Image.new("RGBA", (10, 10), (9, 9, 9, 0)), 3, 4)
    assert empty.size == (0, 0)
    assert (dx, dy) == (0, 0)
