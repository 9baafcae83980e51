"""One check for locale names (offer_render.locales): BCP 47's shape, messages naming the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from offer_render.errors import InvalidInputError
from offer_render.locales import check_locale, parse_locale_list


@pytest.mark.parametrize("name", [
    "en", "pl", "pt-BR", "pt_BR", "zh-Hant-TW", "zh_Hant", "sr-Latn", "es-419", "fil",
    "de-DE-u-co-phonebk", "en-x-private", "abcdefgh",
])
def test_well_formed_tags_pass(name: str) -> None:
    assert check_locale(name, "locale") == name


@pytest.mark.parametrize(("value", "message"), [
    ("e", "'e' is not a locale name: BCP 47 wants a language of 2-8 letters"),
    ("../x", "'../x' is not a locale name"),
    ("en/../pl", "'en/../pl' is not a locale name"),
    ("en-", "'en-' is not a locale name"),
    ("en--GB", "'en--GB' is not a locale name"),
    ("abcdefghi", "'abcdefghi' is not a locale name"),
    ("en-abcdefghi", "is not a locale name"),
    ("12", "'12' is not a locale name"),
    (" en", "' en' is not a locale name"),
    ("en.UTF-8", "is not a locale name"),
    ("", "must be a locale name such as en, pl or pt-BR, not empty"),
    ("en-" + "-".join(["abcdefgh"] * 4), "longer than 35 characters"),
    (7, "must be a locale name such as en, pl or pt-BR, not int"),
    (None, "not NoneType"),
])
def test_bad_names_are_refused_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        check_locale(value, "offers[3].locale")
    ((field, text),) = info.value.problems
    assert field == "offers[3].locale"
    assert message in text


def test_lists_from_text_or_sequences() -> None:
    assert parse_locale_list(" en, pl ,pt-BR,", "locales") == ["en", "pl", "pt-BR"]
    assert parse_locale_list("en,pl,en", "locales") == ["en", "pl"]
    assert parse_locale_list(["de", "de", "fr"], "locales") == ["de", "fr"]
    with pytest.raises(InvalidInputError) as info:
        parse_locale_list("en,,x/y", "locales")
    assert info.value.problems[0][0] == "locales[2]"
    with pytest.raises(InvalidInputError) as info:
        parse_locale_list(["en", ""], "locales")
    assert info.value.problems[0] == (
        "locales[1]", "must be a locale name such as en, pl or pt-BR, not empty")
    for empty in (" , ", "", []):
        with pytest.raises(InvalidInputError, match="^locales: give at least one locale name"):
            parse_locale_list(empty, "locales")
    with pytest.raises(InvalidInputError, match="^locales: must be a list of locale names"):
        parse_locale_list(5, "locales")  # type: ignore[arg-type]


def test_every_command_checks_locales_alike(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"width": 10, "height": 10}))
    (tmp_path / "offers.jsonl").write_text(json.dumps({"id": 1, "image_template": {
        "width": 10, "height": 10}}) + "\n")
    expected = ("offer-render: error: --locales: 'p/l' is not a locale name: BCP 47 wants a "
                "language of 2-8 letters, then subtags of 1-8 letters or digits after - or _ "
                "(such as en, pl or pt-BR)\n")
    for args in (["render", "t.json"], ["lint", "t.json"], ["preview", "t.json"],
                 ["batch", "offers.jsonl", "--out", "out"]):
        done = subprocess.run([sys.executable, "-m", "offer_render", *args, "--locales", "en,p/l"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stderr) == (2, expected), args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["offers.jsonl", "t.json"]
