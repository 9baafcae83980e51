"""Check every template and offer rule: the path and the message of each error, and warnings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import InvalidInputError
from offer_render.template.validate import (
    check_unknown_keys,
    load_json_file,
    parse_offer,
    parse_template,
)

REQUIRED = (
    "name", "width", "height", "padding", "offset_left", "offset_top",
    "text_align", "color", "font_size", "font_family", "font_url",
)


def rect(**changes: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "name": "Title", "width": 100, "height": 50, "padding": 5, "offset_left": 0,
        "offset_top": 0, "text_align": "left", "color": "#000000", "font_size": 15,
        "font_family": "Raleway", "font_url": None,
    }
    r.update(changes)
    return r


def tpl(*rects: Any, **changes: Any) -> dict[str, Any]:
    t: dict[str, Any] = {"width": 200, "height": 100, "rectangles": list(rects)}
    t.update(changes)
    return t


def problems(data: object, limits: Limits | None = None) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInputError) as exc:
        parse_template(data, limits=limits or Limits(), diag=Diagnostics())
    return list(exc.value.problems)


def ok(data: object, limits: Limits | None = None, diag: Diagnostics | None = None) -> Any:
    return parse_template(data, limits=limits or Limits(), diag=diag or Diagnostics())


# ---------------------------------------------------------------- rule table

@pytest.mark.parametrize("key", REQUIRED)
def test_missing_required_rectangle_key(key: str) -> None:
    r = rect()
    del r[key]
    assert problems(tpl(r)) == [(f"rectangles[0].{key}", "is required")]


@pytest.mark.parametrize("key", ["width", "height"])
def test_missing_canvas_size(key: str) -> None:
    t = tpl()
    del t[key]
    assert problems(t) == [(key, "is required")]


BAD_RECTANGLE = [
    # (changes, path suffix, message)
    ({"width": 0}, "width", "must be greater than 0"),
    ({"width": -10}, "width", "must be greater than 0"),
    ({"height": 0}, "height", "must be greater than 0"),
    ({"height": -1}, "height", "must be greater than 0"),
    ({"width": 5000}, "width", "must be at most 4096 in size"),
    ({"offset_left": -5000}, "offset_left", "must be at most 4096 in size"),
    ({"font_size": 0}, "font_size", "must be greater than 0"),
    ({"font_size": -5}, "font_size", "must be greater than 0"),
    ({"font_size": 1e6}, "font_size", "must be at most 2000"),
    ({"font_size": "15px"}, "font_size", "must be a number"),
    ({"font_size": True}, "font_size", "must be a number, not true or false"),
    ({"font_size": float("nan")}, "font_size", "must be a finite number"),
    ({"width": float("inf")}, "width", "must be a finite number"),
    ({"offset_top": float("-inf")}, "offset_top", "must be a finite number"),
    ({"padding": -1}, "padding", "must be at least 0"),
    ({"text_align": "middle"}, "text_align",
     "must be one of left, center, right, justify (got 'middle')"),
    ({"text_align": None}, "text_align",
     "must be one of left, center, right, justify (got None)"),
    ({"vertical_align": "center"}, "vertical_align",
     "must be one of top, middle, bottom (got 'center')"),
    ({"font_style": "slanted"}, "font_style",
     "must be one of normal, italic, oblique (got 'slanted')"),
    ({"fit": "squeeze"}, "fit", "must be one of clip, shrink (got 'squeeze')"),
    ({"line_height": 0}, "line_height", "must be greater than 0"),
    ({"line_height": 11}, "line_height", "must be at most 10"),
    ({"max_lines": 0}, "max_lines", "must be at least 1"),
    ({"max_lines": 1.5}, "max_lines", "must be a whole number"),
    ({"number": 2.5}, "number", "must be a whole number"),
    ({"letter_spacing": -101}, "letter_spacing", "must be at least -100"),
    ({"min_font_size": 20}, "min_font_size", "must not be larger than font_size (15)"),
    ({"min_font_size": 0}, "min_font_size", "must be greater than 0"),
    ({"font_family": ""}, "font_family", "must not be empty"),
    ({"name": 5}, "name", "must be a string"),
    ({"content": ["a"]}, "content", "must be a string"),
    ({"text_decoration": 5}, "text_decoration", "must be a string"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_RECTANGLE)
def test_rectangle_rule(changes: dict[str, Any], field: str, message: str) -> None:
    assert problems(tpl(rect(), rect(**changes))) == [(f"rectangles[1].{field}", message)]


COLOR_MSG = "must be a colour like #RGB, #RRGGBB or #RRGGBBAA (got {!r})"


@pytest.mark.parametrize("color", ["red", "#12", "#12345", "#GGGGGG", "123456", "#1234567",
                                   "#123456789", "", "rgb(0,0,0)"])
def test_bad_color(color: str) -> None:
    assert problems(tpl(rect(color=color))) == [
        ("rectangles[0].color", COLOR_MSG.format(color))
    ]


def test_color_of_wrong_type() -> None:
    assert problems(tpl(rect(color=0xFF00FF))) == [("rectangles[0].color", "must be a string")]


@pytest.mark.parametrize(("color", "rgba"), [
    ("#F0F", (255, 0, 255, 255)),
    ("#F0F8", (255, 0, 255, 0x88)),
    ("#FF00FF", (255, 0, 255, 255)),
    ("#ff00ff80", (255, 0, 255, 128)),
])
def test_good_color(color: str, rgba: tuple[int, int, int, int]) -> None:
    assert ok(tpl(rect(color=color))).rectangles[0].rgba == rgba


DECORATION_MSG = "must be none, underline, overline or line-through (or several of the last three)"


@pytest.mark.parametrize("value", ["blink", "underline underline", "none underline", "wavy"])
def test_bad_text_decoration(value: str) -> None:
    assert problems(tpl(rect(text_decoration=value))) == [
        ("rectangles[0].text_decoration", DECORATION_MSG)
    ]


@pytest.mark.parametrize(("value", "decorations"), [
    ("none", ()),
    ("", ()),
    ("underline", ("underline",)),
    ("underline line-through", ("underline", "line-through")),
    ("  overline   underline ", ("overline", "underline")),
])
def test_good_text_decoration(value: str, decorations: tuple[str, ...]) -> None:
    assert ok(tpl(rect(text_decoration=value))).rectangles[0].decorations == decorations


@pytest.mark.parametrize(("value", "weight"), [
    ("normal", 400), ("bold", 700), ("bolder", 700), ("lighter", 100), ("BOLD", 700),
    (100, 100), (900, 900), (450, 450), (1, 1), (1000, 1000), ("700", 700), (" 300 ", 300),
    (550.4, 550),
])
def test_good_font_weight(value: object, weight: int) -> None:
    assert ok(tpl(rect(font_weight=value))).rectangles[0].weight == weight


@pytest.mark.parametrize(("value", "message"), [
    (0, "must be a number from 1 to 1000"),
    (1001, "must be a number from 1 to 1000"),
    (-400, "must be a number from 1 to 1000"),
    ("1001", "must be a number from 1 to 1000"),
    (float("nan"), "must be a number from 1 to 1000"),
    (True, "must be normal, bold, bolder, lighter or a number from 1 to 1000"),
    ("heavy", "must be normal, bold, bolder, lighter or a number from 1 to 1000"),
    (None, "must be normal, bold, bolder, lighter or a number from 1 to 1000"),
])
def test_bad_font_weight(value: object, message: str) -> None:
    assert problems(tpl(rect(font_weight=value))) == [("rectangles[0].font_weight", message)]


@pytest.mark.parametrize(("value", "expected"), [("top", "top"), ("middle", "middle"),
                                                 ("bottom", "bottom")])
def test_good_vertical_align(value: str, expected: str) -> None:
    assert ok(tpl(rect(vertical_align=value))).rectangles[0].vertical_align == expected


def test_engine_extensions_accepted() -> None:
    r = ok(tpl(rect(text_align="justify", fit="shrink", min_font_size=8, max_lines=2,
                    line_height=1.5, letter_spacing=-1))).rectangles[0]
    assert (r.text_align, r.fit, r.min_font_size, r.max_lines, r.line_height) == (
        "justify", "shrink", 8, 2, 1.5)


def test_min_font_size_equal_to_font_size_is_fine() -> None:
    assert ok(tpl(rect(min_font_size=15))).rectangles[0].min_font_size == 15


def test_min_font_size_with_an_invalid_font_size_reports_only_font_size() -> None:
    assert problems(tpl(rect(font_size=0, min_font_size=20))) == [
        ("rectangles[0].font_size", "must be greater than 0")
    ]


def test_defaults_and_nulls() -> None:
    r = ok(tpl(rect(content=None, font_url="  "))).rectangles[0]
    assert (r.content, r.font_url, r.text_decoration, r.font_style, r.weight, r.fit) == (
        "", None, "none", "normal", 400, "clip")


# ---------------------------------------------------------------- canvas and counts

@pytest.mark.parametrize(("changes", "path", "message"), [
    ({"width": 0}, "width", "must be at least 1"),
    ({"height": -3}, "height", "must be at least 1"),
    ({"width": 4097}, "width", "must be at most 4096"),
    ({"height": 10_000}, "height", "must be at most 4096"),
    ({"width": 100.5}, "width", "must be a whole number"),
    ({"width": "wide"}, "width", "must be a whole number"),
    ({"width": True}, "width", "must be a number, not true or false"),
    ({"height": float("nan")}, "height", "must be a finite number"),
    ({"height": float("inf")}, "height", "must be a finite number"),
    ({"default": "maybe"}, "default", "must be true or false"),
    ({"background_url": 5}, "background_url", "must be a string"),
    ({"rectangles": "none"}, "rectangles", "must be a list"),
])
def test_canvas_rule(changes: dict[str, Any], path: str, message: str) -> None:
    assert problems(tpl(rect(), **changes)) == [(path, message)]


def test_canvas_at_limit_is_fine() -> None:
    t = ok(tpl(width=4096, height=4096))
    assert (t.width, t.height) == (4096, 4096)


def test_configured_canvas_limit_is_honoured() -> None:
    limits = Limits(max_canvas=500)
    assert problems(tpl(width=501), limits) == [("width", "must be at most 500")]
    assert problems(tpl(rect(width=600)), limits) == [
        ("rectangles[0].width", "must be at most 500 in size")
    ]
    assert ok(tpl(width=500, height=500), limits).width == 500


def test_too_many_rectangles() -> None:
    assert problems(tpl(*[rect()] * 65)) == [
        ("rectangles", "must hold at most 64 rectangles (got 65)")
    ]
    assert len(ok(tpl(*[rect()] * 64)).rectangles) == 64


def test_configured_rectangle_limit_is_honoured() -> None:
    assert problems(tpl(rect(), rect(), rect()), Limits(max_rectangles=2)) == [
        ("rectangles", "must hold at most 2 rectangles (got 3)")
    ]


def test_configured_font_size_limit_is_honoured() -> None:
    assert problems(tpl(rect(font_size=101)), Limits(max_font_size=100)) == [
        ("rectangles[0].font_size", "must be at most 100")
    ]


@pytest.mark.parametrize("bad", [5, "rect", None, [1, 2]])
def test_non_dict_rectangle(bad: object) -> None:
    assert problems(tpl(rect(), bad)) == [("rectangles[1]", "must be an object")]


def test_all_problems_reported_together() -> None:
    assert problems(tpl(rect(font_size=0, color="red"), rect(text_align="up"), width=0)) == [
        ("width", "must be at least 1"),
        ("rectangles[0].color", COLOR_MSG.format("red")),
        ("rectangles[0].font_size", "must be greater than 0"),
        ("rectangles[1].text_align", "must be one of left, center, right, justify (got 'up')"),
    ]


def test_missing_key_with_a_typo_hints_at_it() -> None:
    r = rect()
    r["font_sise"] = r.pop("font_size")
    assert problems(tpl(r)) == [
        ("rectangles[0].font_size", "is required (found 'font_sise': a typo?)")
    ]


# ---------------------------------------------------------------- top level shapes

@pytest.mark.parametrize(("data", "kind"), [
    ([], "a list"), ("x", "a string"), (None, "null"), (3, "a number"), (True, "a boolean"),
])
def test_non_dict_top_level(data: object, kind: str) -> None:
    assert problems(data) == [
        ("", f"the template must be a JSON object (an image_template or an offer), got {kind}")
    ]


def test_offer_holding_a_template_uses_it() -> None:
    offer = {"id": 1, "name": {"en": "x"}, "image_template": tpl(rect(), width=321)}
    assert ok(offer).width == 321


def test_offer_template_errors_are_prefixed() -> None:
    offer = {"id": 1, "image_template": tpl(rect(color="nope"))}
    assert problems(offer) == [
        ("image_template.rectangles[0].color", COLOR_MSG.format("nope"))
    ]


def test_offer_with_null_template() -> None:
    assert problems({"id": 1, "image_template": None}) == [
        ("image_template", "is null: this offer has no template to render")
    ]


def test_offer_with_non_object_template() -> None:
    assert problems({"id": 1, "image_template": [1]}) == [
        ("image_template", "must be an object, got a list")
    ]


def test_platform_sample_is_valid() -> None:
    sample = {"width": 100, "height": 300, "default": False,
              "rectangles": [{"name": "Title", "color": "#FF00FF", "width": 100, "height": 200,
                              "number": 5, "content": "{{stores}}", "padding": 5,
                              "font_url": "https://fonts.googleapis.com/css?family=Raleway:400,700",
                              "font_size": 15, "font_style": "normal", "offset_top": 5,
                              "text_align": "center", "font_family": "'Playfair Display', serif",
                              "font_weight": "normal", "offset_left": 15,
                              "text_decoration": "none"}],
              "background_url": "https://example.com/image.png"}
    diag = Diagnostics()
    t = ok(sample, diag=diag)
    assert t.rectangles[0].number == 5
    assert diag.warnings == []


# ---------------------------------------------------------------- unknown keys

def test_unknown_keys_warn_with_a_suggestion() -> None:
    diag = Diagnostics()
    t = ok(tpl(rect(font_sise=12, zzz=1), backgroud_url="x"), diag=diag)
    got = [(w.code, w.path, w.message, w.rect) for w in diag.warnings]
    assert got == [
        ("unknown_key", "backgroud_url", "unknown key 'backgroud_url' (did you mean "
         "'background_url'?)", None),
        ("unknown_key", "rectangles[0].font_sise",
         "unknown key 'font_sise' (did you mean 'font_size'?)", 0),
        ("unknown_key", "rectangles[0].zzz", "unknown key 'zzz'", 0),
    ]
    assert t.rectangles[0].extra_keys == ("font_sise", "zzz")


def test_unknown_keys_in_an_offer_template_are_prefixed() -> None:
    diag = Diagnostics()
    ok({"id": 1, "image_template": tpl(rect(colour="#fff"))}, diag=diag)
    assert [(w.path, w.message) for w in diag.warnings] == [
        ("image_template.rectangles[0].colour", "unknown key 'colour' (did you mean 'color'?)")
    ]


def test_strict_mode_turns_an_unknown_key_into_an_error() -> None:
    with pytest.raises(InvalidInputError) as exc:
        parse_template(tpl(rect(font_sise=12)), limits=Limits(), diag=Diagnostics(strict=True))
    assert exc.value.problems == (
        ("rectangles[0].font_sise", "unknown key 'font_sise' (did you mean 'font_size'?) "
         "(strict mode)"),
    )
    assert exc.value.exit_code == 2


def test_check_unknown_keys_on_a_parsed_offer() -> None:
    diag = Diagnostics()
    offer = parse_offer({"image_template": tpl(rect(paddin=1))}, limits=Limits(), diag=diag)
    assert diag.warnings == []  # parse_offer leaves template warnings to parse_template
    assert offer.image_template is not None
    check_unknown_keys(offer.image_template, diag, prefix="image_template")
    assert [w.path for w in diag.warnings] == ["image_template.rectangles[0].paddin"]


# ---------------------------------------------------------------- offers

def test_offer_keeps_unknown_keys() -> None:
    offer = parse_offer({"id": 129, "stock": 30, "extras": {"a": 1}, "read_more": None},
                        limits=Limits(), diag=Diagnostics())
    assert offer.model_extra == {"stock": 30, "extras": {"a": 1}, "read_more": None}


def test_offer_store_objects_become_names() -> None:
    offer = parse_offer({"stores": ["A", {"name": "B"}, {"name": {"en": "C"}}]},
                        limits=Limits(), diag=Diagnostics())
    assert offer.stores == ("A", "B", "C")


@pytest.mark.parametrize(("data", "expected"), [
    ({"id": [1]}, [("id", "must be a number or a string")]),
    ({"name": 5}, [("name", 'must be a text or an object of texts by locale, like '
                            '{"en": "...", "pl": "..."}')]),
    ({"description": {"en": 3}}, [("description", 'must be a text or an object of texts by '
                                                   'locale, like {"en": "...", "pl": "..."}')]),
    ({"stores": [5]}, [("stores[0]", "must be a string")]),
    ({"collection_ids": ["x"]}, [("collection_ids[0]", "must be a whole number")]),
    ({"image_template": tpl(rect(color="#zz"))},
     [("image_template.rectangles[0].color", COLOR_MSG.format("#zz"))]),
    ({"image_template": "x"}, [("image_template", "must be an object")]),
])
def test_offer_rule(data: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInputError) as exc:
        parse_offer(data, limits=Limits(), diag=Diagnostics())
    assert list(exc.value.problems) == expected


def test_offer_must_be_an_object() -> None:
    with pytest.raises(InvalidInputError) as exc:
        parse_offer([1], limits=Limits(), diag=Diagnostics())
    assert exc.value.problems == (("", "the offer must be a JSON object, got a list"),)


def test_offer_template_honours_limits() -> None:
    with pytest.raises(InvalidInputError) as exc:
        parse_offer({"image_template": tpl(width=300)}, limits=Limits(max_canvas=200),
                    diag=Diagnostics())
    assert exc.value.problems == (("image_template.width", "must be at most 200"),)


# ---------------------------------------------------------------- JSON files

def test_load_json_file(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    p.write_text(json.dumps(tpl(rect())), encoding="utf-8")
    assert load_json_file(p) == tpl(rect())


def test_load_json_file_with_bom(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    p.write_bytes(b"\xef\xbb\xbf" + b'{"a": 1}')
    assert load_json_file(p) == {"a": 1}


def test_load_json_file_bad_json(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text('{\n  "a": 1,\n  "b": 2\n    "c": 3}', encoding="utf-8")
    with pytest.raises(InvalidInputError) as exc:
        load_json_file(p)
    assert exc.value.problems == (
        (str(p), "is not valid JSON: line 4 column 5: Expecting ',' delimiter"),
    )


def test_load_json_file_missing(tmp_path: Path) -> None:
    p = tmp_path / "nope.json"
    with pytest.raises(InvalidInputError) as exc:
        load_json_file(p)
    assert exc.value.problems == ((str(p), "file not found"),)


def test_load_json_file_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as exc:
        load_json_file(tmp_path)
    assert exc.value.problems == ((str(tmp_path), "is a folder, not a JSON file"),)


def test_load_json_file_not_text(tmp_path: Path) -> None:
    p = tmp_path / "bin.json"
    p.write_bytes(b"\xff\xfe\xfa\x00garbage\x80")
    with pytest.raises(InvalidInputError) as exc:
        load_json_file(p)
    (path, message), = exc.value.problems
    assert path == str(p)
    assert message.startswith("is not valid JSON")


def test_nan_from_json_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "nan.json"
    p.write_text('{"width": 10, "height": 10, "rectangles": [{"name": "a", "width": NaN, '
                 '"height": 1, "padding": 0, "offset_left": 0, "offset_top": 0, '
                 '"text_align": "left", "color": "#000", "font_size": Infinity, '
                 '"font_family": "x", "font_url": null}]}', encoding="utf-8")
    assert problems(load_json_file(p)) == [
        ("rectangles[0].width", "must be a finite number"),
        ("rectangles[0].font_size", "must be a finite number"),
    ]
