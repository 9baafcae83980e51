"""Hostile templates and texts: absurd sizes, floods, invalid Unicode and sandbox escapes."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from offer_render.errors import InvalidInputError
from tests.hostile.helpers import codes, rect, renderer, template, within


def _problems(tmpl: dict[str, Any], **options: Any) -> dict[str, str]:
    with within(1.0), pytest.raises(InvalidInputError) as err:
        renderer().render(tmpl, **options)
    return dict(err.value.problems)


@pytest.mark.parametrize(
    ("size", "message"),
    [(0, "must be greater than 0"), (-5, "must be greater than 0"),
     (1e6, "must be at most 2000"), (math.nan, "must be a finite number"),
     (math.inf, "must be a finite number"), ("12px", "must be a number"),
     (True, "must be a number, not true or false")],
)
def test_bad_font_size_is_refused_naming_the_field(size: object, message: str) -> None:
    assert _problems(template(rect(font_size=size)))["rectangles[0].font_size"] == message


def test_canvas_100000_squared_is_refused_before_allocating() -> None:
    problems = _problems(template(width=100_000, height=100_000))
    assert problems == {"width": "must be at most 4096", "height": "must be at most 4096"}


@pytest.mark.parametrize("scale", [0, -1, 1000, math.nan])
def test_bad_scale_is_refused(scale: float) -> None:
    assert _problems(template(), scale=scale) == {
        "scale": "must be greater than 0 and at most 4"}


def test_too_many_rectangles_are_refused() -> None:
    problems = _problems(template(*[rect() for _ in range(1000)]))
    assert problems == {"rectangles": "must hold at most 64 rectangles (got 1000)"}


def test_rectangle_far_outside_the_canvas_limit_is_refused() -> None:
    problems = _problems(template(rect(offset_left=1e12, width=1e9)))
    assert problems["rectangles[0].offset_left"] == "must be at most 4096 in size"
    assert problems["rectangles[0].width"] == "must be at most 4096 in size"


def _cut_or_refused(tmpl: dict[str, Any], offer: dict[str, Any] | None = None) -> None:
    """Assert that a huge text is cut to the cap with a warning or refused naming the field."""
    error: InvalidInputError | None = None
    with within(5.0):
        try:
            result = renderer().render(tmpl, offer)
        except InvalidInputError as err:
            error = err
    if error is not None:
        assert [p for p, _ in error.problems] == ["rectangles[0].content"]
        assert "100000 characters" in str(error)
        return
    assert "longer than 10000 characters" in codes(result.report)["text_truncated"]
    assert len(result.report["rectangles"][0]["text"]) <= 10_000


def test_two_megabytes_of_template_text_are_cut_or_refused_quickly() -> None:
    _cut_or_refused(template(rect("lorem ipsum " * 175_000)))


def test_two_megabytes_of_offer_text_are_cut_or_refused_quickly() -> None:
    _cut_or_refused(template(rect("{{description}}")), {"description": "ab " * 700_000})


def test_lone_surrogates_become_replacement_characters_with_a_warning() -> None:
    # Arrange: what json.loads gives for "A\ud800B"
    raw = json.dumps(rect("A-B")).replace("A-B", "A\\ud800B")
    tmpl = json.loads(f'{{"width": 200, "height": 100, "rectangles": [{raw}]}}')
    # Act
    with within(2.0):
        result = renderer().render(tmpl)
    # Assert
    assert result.report["rectangles"][0]["text"] == "A\ufffdB"
    assert codes(result.report)["text_replaced"] == (
        "not valid Unicode text: 1 lone surrogate replaced by U+FFFD")
    json.dumps(result.report, ensure_ascii=False).encode("utf-8")  # encodable now


def test_nul_characters_are_removed_with_a_warning() -> None:
    with within(2.0):
        result = renderer().render(template(rect("A\x00B\x00")))
    assert result.report["rectangles"][0]["text"] == "AB"
    assert "2 NUL characters removed" in codes(result.report)["text_replaced"]


def test_lone_surrogate_in_offer_data_is_replaced() -> None:
    offer = {"name": {"en": "Deal \udc00"}, "stores": ["Shop\x00"]}
    with within(2.0):
        result = renderer().render(template(rect("{{name}} @ {{stores}}")), offer)
    assert result.report["rectangles"][0]["text"] == "Deal \ufffd @ Shop"
    paths = [w.get("path") for w in result.report["warnings"]
             if w["code"] == "text_replaced"]
    assert paths == ["name.en", "stores[0]"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "refused by the template sandbox"),
        ("{{ cycler.__init__.__globals__.os.system('id') }}", "refused by the template sandbox"),
        ("{{ self._TemplateReference__context }}", "refused by the template sandbox"),
        ("{% for i in range(10**9) %}x{% endfor %}", "range"),
        ("{{ 'x' * 10**9 }}", "would be too large"),
        ("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}", "refused by the template sandbox"),
        ("{{ lipsum(n=100000) }}", "refused by the template sandbox"),
    ],
)
def test_injection_attempt_in_a_placeholder_is_refused_fast(content: str, message: str) -> None:
    problems = _problems(template(rect(content)))
    assert message in problems["rectangles[0].content"]


@pytest.mark.parametrize("mark", ["\u0301", "\u200d", "\u202e"])
def test_flood_of_one_mark_up_to_the_text_cap_lays_out_quickly(mark: str) -> None:
    # combining acute, ZERO WIDTH JOINER, RIGHT-TO-LEFT OVERRIDE: 9,999 after one base
    with within(2.0):
        result = renderer().render(template(rect("e" + mark * 9_999)))
    assert result.width == 200


def test_tiny_font_size_renders_without_crashing() -> None:
    result = renderer().render(template(rect("tiny", font_size=0.01)))
    assert result.width == 200


def test_many_short_lines_with_max_lines_stay_fast() -> None:
    with within(3.0):
        result = renderer().render(template(rect("a\n" * 9_999, max_lines=10_000)))
    assert result.report["rectangles"][0]["clipped"] is True


def test_shrink_to_a_tiny_minimum_with_much_text_stays_fast() -> None:
    with within(5.0):
        result = renderer().render(template(rect("word " * 999, fit="shrink",
                                                 min_font_size=0.5)))
    assert result.width == 200


def test_scale_that_empties_the_image_is_refused() -> None:
    problems = _problems(template(width=1, height=1), scale=0.4, format="webp")
    assert "gives an empty 0x0 image" in problems["scale"]


def test_output_over_the_pixel_limit_is_refused_before_allocating() -> None:
    with within(1.0), pytest.raises(InvalidInputError, match="more than the limit"):
        renderer(max_output_pixels=10_000).render(template(), scale=1)


def test_check_output_size_refuses_empty_and_oversized_images() -> None:
    from offer_render.config import Limits
    from offer_render.template.models import ImageTemplate
    from offer_render.template.validate import check_output_size

    big = ImageTemplate(width=4096, height=4096)
    assert check_output_size(big, 2, limits=Limits()) == (8192, 8192)
    with pytest.raises(InvalidInputError, match="scale: gives a 16384x16384 image"):
        check_output_size(big, 4, limits=Limits())
    with pytest.raises(InvalidInputError, match="scale: gives an empty 0x0 image"):
        check_output_size(ImageTemplate(width=1, height=1), 0.4, limits=Limits())


@pytest.mark.parametrize("separator", ["\x1c", "\x1d", "\x1e", "\x85", "\u2029"])
def test_bidi_paragraph_separator_in_text_renders(separator: str) -> None:
    result = renderer().render(template(rect("0" + separator + "1")))
    assert result.width == 200
