"""Check merge fields: platform placeholders, aliases, offer paths, localisation and the sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from offer_render.config import Limits
from offer_render.diagnostics import Diagnostics
from offer_render.errors import InvalidInputError
from offer_render.merge import localize, merge_texts
from offer_render.template.models import ImageTemplate, Offer

OFFER: dict[str, Any] = {
    "id": 129,
    "name": {"en": "Great Offer!", "pl": "Super Oferta"},
    "description": {"en": "Special", "pl": "Specjalna"},
    "usable_until": "2030-05-05T13:00:00.000000Z",
    "collection_ids": [7, 2],
    "stores": ["Shop A", "Shop B"],
    "stock": 30,
    "extras": {"something": "additional"},
    "read_more": None,
}
COLLECTIONS = [
    {"id": 2, "title": {"en": "Super Collection", "pl": "Super Kolekcja"}},
    {"id": 9, "title": {"en": "Other"}},
]


def template(*contents: str) -> ImageTemplate:
    rects = [
        {"name": f"R{i}", "width": 100, "height": 50, "padding": 0, "offset_left": 0,
         "offset_top": 0, "text_align": "left", "color": "#000", "font_size": 10,
         "font_family": "x", "font_url": None, "content": c}
        for i, c in enumerate(contents)
    ]
    return ImageTemplate.model_validate({"width": 200, "height": 100, "rectangles": rects})


def merge(
    *contents: str,
    offer: Mapping[str, Any] | None = OFFER,
    locale: str = "en",
    default_locale: str = "en",
    context: Mapping[str, object] | None = None,
    collections: Sequence[Mapping[str, object]] | None = COLLECTIONS,
    limits: Limits | None = None,
    diag: Diagnostics | None = None,
) -> tuple[str, ...]:
    return merge_texts(
        template(*contents),
        Offer.model_validate(offer) if offer is not None else None,
        locale=locale,
        default_locale=default_locale,
        context=context,
        collections=collections,
        limits=limits or Limits(),
        diag=diag if diag is not None else Diagnostics(),
    )


def one(content: str, **kw: Any) -> str:
    (text,) = merge(content, **kw)
    return text


def refused(content: str, **kw: Any) -> tuple[str, str]:
    with pytest.raises(InvalidInputError) as exc:
        merge(content, **kw)
    (problem,) = exc.value.problems
    return problem


# ---------------------------------------------------------------- platform fields

@pytest.mark.parametrize(("content", "expected"), [
    ("{{name}}", "Great Offer!"),
    ("{{description}}", "Special"),
    ("{{stores}}", "Shop A, Shop B"),
    ("{{collection}}", "Super Collection"),
    ("{{ name }} - {{ stores }}", "Great Offer! - Shop A, Shop B"),
    ("plain text", "plain text"),
    ("", ""),
])
def test_platform_field(content: str, expected: str) -> None:
    assert one(content) == expected


def test_platform_fields_in_another_locale() -> None:
    assert one("{{name}}|{{description}}|{{collection}}", locale="pl") == (
        "Super Oferta|Specjalna|Super Kolekcja")


def test_one_text_per_rectangle_in_list_order() -> None:
    assert merge("{{name}}", "{{stores}}", "x") == ("Great Offer!", "Shop A, Shop B", "x")


def test_collection_follows_collection_ids_order() -> None:
    cols = [{"id": 2, "title": {"en": "Two"}}, {"id": 7, "title": {"en": "Seven"}}]
    assert one("{{collection}}", collections=cols) == "Seven"


def test_collection_ids_match_string_ids() -> None:
    assert one("{{collection}}", collections=[{"id": "2", "title": "Two"}]) == "Two"


def test_collection_missing_warns() -> None:
    diag = Diagnostics()
    assert one("{{collection}}", collections=None, diag=diag) == ""
    assert [(w.code, w.rect) for w in diag.warnings] == [("collection_missing", 0)]
    assert "[7, 2]" in diag.warnings[0].message


def test_store_objects_give_their_names() -> None:
    offer = dict(OFFER, stores=[{"name": "A"}, "B"])
    assert one("{{stores}}", offer=offer) == "A, B"


# ---------------------------------------------------------------- aliases and paths

@pytest.mark.parametrize(("content", "expected"), [
    ("<<stores>>", "Shop A, Shop B"),
    ("<< name >>!", "Great Offer!!"),
    ("<<offer.stock>> left", "30 left"),
    ("<<offer.extras.something>>", "additional"),
    ("a << b", "a << b"),
    ("<<not an identifier>>", "<<not an identifier>>"),
])
def test_alias(content: str, expected: str) -> None:
    assert one(content) == expected


@pytest.mark.parametrize(("content", "expected"), [
    ("{{offer.usable_until}}", "2030-05-05T13:00:00.000000Z"),
    ("{{offer.stock}}", "30"),
    ("{{offer.id}}", "129"),
    ("{{offer.extras.something}}", "additional"),
    ("{{offer['extras']['something']}}", "additional"),
    ("{{offer.name.pl}}", "Super Oferta"),
    ("{{offer.read_more}}", ""),  # null prints as nothing, not "None"
    ("{{offer.stores | join(' / ')}}", "Shop A / Shop B"),
    ("{{locale}}", "en"),
    ("{% if offer.stock > 10 %}many{% else %}few{% endif %}", "many"),
    ("{{ name | upper }}", "GREAT OFFER!"),
])
def test_offer_path(content: str, expected: str) -> None:
    assert one(content) == expected


# ---------------------------------------------------------------- context

def test_context_variables() -> None:
    ctx = {"member": {"first_name": "Ada"}, "points": 12}
    assert one("Hi {{member.first_name}}, {{points}} pts", context=ctx) == "Hi Ada, 12 pts"


def test_context_cannot_override_engine_names() -> None:
    ctx = {"name": "X", "description": "X", "stores": "X", "collection": "X", "offer": {},
           "locale": "X"}
    assert one("{{name}}|{{stores}}|{{offer.stock}}|{{locale}}", context=ctx) == (
        "Great Offer!|Shop A, Shop B|30|en")


# ---------------------------------------------------------------- localisation chain

@pytest.mark.parametrize(("value", "locale", "default", "expected"), [
    ({"pt-BR": "exact", "pt": "lang", "en": "en"}, "pt-BR", "en", "exact"),
    ({"pt_br": "exact", "pt": "lang"}, "PT-br", "en", "exact"),
    ({"pt-BR": "exact", "pt": "lang"}, "pt_BR", "en", "exact"),
    ({"pt": "lang", "de": "default", "en": "en"}, "pt-BR", "de", "lang"),
    ({"pt-PT": "region", "de": "default"}, "pt-BR", "de", "region"),
    ({"pt-PT": "region", "de": "default"}, "pt", "de", "region"),
    ({"fr": "fr", "de": "default", "en": "en"}, "pt-BR", "de", "default"),
    ({"fr": "fr", "de-AT": "default", "en": "en"}, "pt-BR", "de-AT", "default"),
    ({"fr": "fr", "de": "default-lang", "en": "en"}, "pt-BR", "de-AT", "default-lang"),
    ({"fr": "fr", "en": "en"}, "pt-BR", "de", "en"),
    ({"fr": "first", "it": "second"}, "pt-BR", "de", "first"),
    ({"pt-BR": "", "pt": None, "fr": "first"}, "pt-BR", "de", "first"),
    ({"en": "", "pl": ""}, "en", "en", ""),
    ({}, "en", "en", ""),
    ("plain", "pl", "en", "plain"),
    (None, "pl", "en", ""),
])
def test_localize_chain(value: Any, locale: str, default: str, expected: str) -> None:
    assert localize(value, locale, default) == expected


def test_name_uses_the_default_locale() -> None:
    assert one("{{name}}", locale="de", default_locale="pl") == "Super Oferta"


# ---------------------------------------------------------------- unknown placeholders

def test_unknown_placeholder_warns_in_lenient_mode() -> None:
    diag = Diagnostics()
    assert merge("x{{stor}}y", "{{offer.extras.nope}}", diag=diag) == ("xy", "")
    got = [(w.code, w.path, w.message, w.rect) for w in diag.warnings]
    assert got == [
        ("unknown_placeholder", "rectangles[0].content",
         "rectangle 'R0': unknown placeholder {{stor}}", 0),
        ("unknown_placeholder", "rectangles[1].content",
         "rectangle 'R1': unknown placeholder {{offer.extras.nope}}", 1),
    ]


def test_unknown_placeholder_reported_once_per_rectangle() -> None:
    diag = Diagnostics()
    one("{{stor}} {{stor}} {{stor.x}}", diag=diag)
    assert [w.message for w in diag.warnings] == ["rectangle 'R0': unknown placeholder {{stor}}"]


def test_unknown_alias_is_reported_as_a_placeholder() -> None:
    diag = Diagnostics()
    assert one("<<stor>>", diag=diag) == ""
    assert diag.warnings[0].message == "rectangle 'R0': unknown placeholder {{stor}}"


def test_unknown_placeholder_is_an_error_in_strict_mode() -> None:
    assert refused("{{stor}}", diag=Diagnostics(strict=True)) == (
        "rectangles[0].content", "rectangle 'R0': unknown placeholder {{stor}} (strict mode)")


@pytest.mark.parametrize("content", [
    "{% if stor is defined %}{{stor}}{% endif %}",
    "{{ stor | default('none') }}",
    "{% if stor %}yes{% endif %}",
])
def test_guarded_optional_names_are_not_reported(content: str) -> None:
    diag = Diagnostics(strict=True)
    one(content, diag=diag)
    assert diag.warnings == []


def test_no_offer_renders_platform_fields_empty_without_warnings() -> None:
    diag = Diagnostics(strict=True)
    assert one("[{{name}}|<<stores>>|{{description}}|{{collection}}|{{offer.stock}}]",
               offer=None, diag=diag) == "[||||]"
    assert diag.warnings == []


def test_no_offer_still_reports_other_unknown_names() -> None:
    diag = Diagnostics()
    one("{{stor}}", offer=None, diag=diag)
    assert [w.code for w in diag.warnings] == ["unknown_placeholder"]


# ---------------------------------------------------------------- data is never code

@pytest.mark.parametrize("text", [
    "<b>bold</b> & <script>alert(1)</script>",
    "{{ 7 * 7 }}",
    "{% for i in range(3) %}x{% endfor %}",
    "<<stores>>",
    "{{ ''.__class__ }}",
])
def test_offer_data_is_drawn_literally(text: str) -> None:
    offer = dict(OFFER, name={"en": text}, extras={"t": text})
    assert merge("{{name}}", "{{offer.extras.t}}", offer=offer) == (text, text)


def test_html_in_content_is_kept_as_text() -> None:
    assert one("<b>{{stores}}</b> &amp;") == "<b>Shop A, Shop B</b> &amp;"


# ---------------------------------------------------------------- errors and the sandbox

def test_syntax_error() -> None:
    path, message = refused("{{ name ")
    assert path == "rectangles[0].content"
    assert message.startswith("template syntax error: ")
    assert message.endswith("in rectangle 'R0'")


def test_syntax_error_names_the_line() -> None:
    _, message = refused("line one\n{% if %}")
    assert "(line 2)" in message


@pytest.mark.parametrize("content", [
    "{{ name.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ offer.__class__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__ }}",
])
def test_reaching_dunder_attributes_is_refused(content: str) -> None:
    path, message = refused(content)
    assert path == "rectangles[0].content"
    assert message.startswith("rectangle 'R0': refused by the template sandbox: access to "
                              "attribute '__")
    assert "is not allowed" in message


def test_mutating_offer_data_is_refused() -> None:
    _, message = refused("{{ offer.stores.append('x') }}")
    assert message == ("rectangle 'R0': refused by the template sandbox: access to attribute "
                       "'append' of a 'list' value is not allowed")


@pytest.mark.parametrize(("content", "fragment"), [
    ("{{ 'a' * 100000000 }}", "the result of '*' would be too large"),
    ("{{ 2 ** 100000000 }}", "the exponent of '**' is too large"),
])
def test_huge_arithmetic_is_refused(content: str, fragment: str) -> None:
    _, message = refused(content)
    assert fragment in message


@pytest.mark.parametrize(("content", "message"), [
    ("{{ 1 / 0 }}", "rectangle 'R0': template error: ZeroDivisionError: division by zero"),
    ("{{ stor() }}", "rectangle 'R0': template error: 'stor' is undefined"),
])
def test_runtime_errors_are_clear(content: str, message: str) -> None:
    assert refused(content) == ("rectangles[0].content", message)


def test_small_arithmetic_is_fine() -> None:
    assert one("{{ '-' * 3 }}{{ 2 ** 10 }}") == "---1024"


# ---------------------------------------------------------------- text cap

def test_text_is_capped() -> None:
    diag = Diagnostics()
    text = one("{{ 'ab' * 10 }}", limits=Limits(max_text_chars=5), diag=diag)
    assert text == "ababa"
    assert [(w.code, w.path, w.message) for w in diag.warnings] == [
        ("text_truncated", "rectangles[0].content",
         "rectangle 'R0': merged text is longer than 5 characters; cut to 5"),
    ]


def test_text_at_the_cap_is_not_cut() -> None:
    diag = Diagnostics()
    assert one("abcde", limits=Limits(max_text_chars=5), diag=diag) == "abcde"
    assert diag.warnings == []


def test_long_loop_output_stops_at_the_cap() -> None:
    diag = Diagnostics()
    text = one("{% for i in range(10000) %}{{ stores }}{% endfor %}",
               limits=Limits(max_text_chars=100), diag=diag)
    assert len(text) == 100
    assert [w.code for w in diag.warnings] == ["text_truncated"]
