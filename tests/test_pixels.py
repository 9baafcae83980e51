"""Pixel maps of tiny renders with the box font: placement, clipping, decorations, order."""

from __future__ import annotations

from PIL import Image

from offer_render.raster import rasterize
from tests.helpers.pixels import assert_pixels
from tests.helpers.stacks import lay


def render(canvas: tuple[int, int], rects: list[dict[str, object]]) -> Image.Image:
    return rasterize(lay(canvas, rects))


def test_two_lines_left_aligned_with_padding() -> None:
    image = render((16, 14), [{"width": 16, "height": 14, "padding": 1, "content": "AB",
                               "font_size": 5}])
    # 5 px glyphs: 5 wide, 4 tall above the baseline; the line is 5 px (4 + 1).
    assert_pixels(image, """
        ________________
        _##########_____
        _##########_____
        _##########_____
        _##########_____
        ________________
        ________________
        ________________
        ________________
        ________________
        ________________
        ________________
        ________________
        ________________
    """)


def test_right_aligned_text_wraps_and_aligns_per_line() -> None:
    image = render((12, 10), [{"width": 12, "height": 10, "content": "A BC",
                               "font_size": 5, "text_align": "right"}])
    assert_pixels(image, """
        _______#####
        _______#####
        _______#####
        _______#####
        ____________
        __##########
        __##########
        __##########
        __##########
        ____________
    """)


def test_text_is_clipped_at_the_rectangle_edge_not_the_content_box() -> None:
    # "W" is 15 px wide in a 12 px box with 2 px padding: it cannot break, overflows
    # the 8 px content box, shows in the right padding and is cut at the border box.
    image = render((18, 12), [{"width": 12, "height": 12, "padding": 2, "content": "W",
                              "color": "#F00"}])
    assert_pixels(image, """
        __________________
        __________________
        __RRRRRRRRRR______
        __RRRRRRRRRR______
        __RRRRRRRRRR______
        __RRRRRRRRRR______
        __RRRRRRRRRR______
        __RRRRRRRRRR______
        __RRRRRRRRRR______
        __RRRRRRRRRR______
        __________________
        __________________
    """)


def test_underline_below_the_baseline() -> None:
    image = render((10, 10), [{"width": 10, "height": 10, "content": "AB", "font_size": 5,
                               "text_decoration": "underline"}])
    # Thickness max(1, 5/10) = 1 px, one pixel below the baseline (y = 4).
    assert_pixels(image, """
        ##########
        ##########
        ##########
        ##########
        __________
        ##########
        __________
        __________
        __________
        __________
    """)


def test_later_number_draws_on_top_and_alpha_blends() -> None:
    image = render((6, 4), [
        {"name": "top", "number": 2, "width": 6, "height": 4, "content": "A", "font_size": 5,
         "color": "#F00", "offset_left": 1},
        {"name": "under", "number": 1, "width": 6, "height": 4, "content": "A", "font_size": 5,
         "color": "#00F"},
    ])
    assert_pixels(image, """
        BRRRRR
        BRRRRR
        BRRRRR
        BRRRRR
    """)
    half = render((5, 4), [{"width": 5, "height": 4, "content": "A", "font_size": 5,
                            "color": "#0000FF80"}])
    assert half.getpixel((2, 2)) == (0, 0, 255, 128)
    assert half.getpixel((2, 3)) == (0, 0, 255, 128)
