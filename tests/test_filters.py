"""Check the locale-aware filters (dates, times, numbers, money, percentages) and the built-ins."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from offer_render.diagnostics import Diagnostics
from tests.test_merge import merge, one, refused

UNTIL = "{{ offer.usable_until"  # "2030-05-05T13:00:00.000000Z", a Sunday

NBSP, NNBSP, RLM = "\xa0", "\u202f", "\u200f"

# Expected outputs are CLDR's, as Babel gives them; written out by hand so a change of
# CLDR data or of the filters shows here.
LOCALE_TABLE: list[tuple[str, str, str]] = [
    # date, long
    ("en", UNTIL + "|date('long') }}", "May 5, 2030"),
    ("pl", UNTIL + "|date('long') }}", "5 maja 2030"),
    ("de", UNTIL + "|date('long') }}", "5. Mai 2030"),
    ("ar", UNTIL + "|date('long') }}", "5 مايو 2030"),
    ("ja", UNTIL + "|date('long') }}", "2030年5月5日"),
    # date, medium (the default)
    ("en", UNTIL + "|date }}", "May 5, 2030"),
    ("pl", UNTIL + "|date }}", "5 maj 2030"),
    ("de", UNTIL + "|date }}", "05.05.2030"),
    ("ar", UNTIL + "|date }}", f"05{RLM}/05{RLM}/2030"),
    ("ja", UNTIL + "|date }}", "2030/05/05"),
    # date, full
    ("en", UNTIL + "|date('full') }}", "Sunday, May 5, 2030"),
    ("pl", UNTIL + "|date('full') }}", "niedziela, 5 maja 2030"),
    ("de", UNTIL + "|date('full') }}", "Sonntag, 5. Mai 2030"),
    ("ar", UNTIL + "|date('full') }}", "الأحد، 5 مايو 2030"),
    ("ja", UNTIL + "|date('full') }}", "2030年5月5日日曜日"),
    # date and time, short
    ("en", UNTIL + "|datetime('short') }}", f"5/5/30, 1:00{NNBSP}PM"),
    ("pl", UNTIL + "|datetime('short') }}", "5.05.2030, 13:00"),
    ("de", UNTIL + "|datetime('short') }}", "05.05.30, 13:00"),
    ("ar", UNTIL + "|datetime('short') }}", f"5{RLM}/5{RLM}/2030، 1:00 م"),
    ("ja", UNTIL + "|datetime('short') }}", "2030/05/05 13:00"),
    # time in Warsaw (UTC+2 in May)
    ("en", UNTIL + "|time('short', tz='Europe/Warsaw') }}", f"3:00{NNBSP}PM"),
    ("pl", UNTIL + "|time('short', tz='Europe/Warsaw') }}", "15:00"),
    ("de", UNTIL + "|time('short', tz='Europe/Warsaw') }}", "15:00"),
    ("ar", UNTIL + "|time('short', tz='Europe/Warsaw') }}", "3:00 م"),
    ("ja", UNTIL + "|time('short', tz='Europe/Warsaw') }}", "15:00"),
    # numbers
    ("en", "{{ 1234567.891|number }}", "1,234,567.891"),
    ("pl", "{{ 1234567.891|number }}", f"1{NBSP}234{NBSP}567,891"),
    ("de", "{{ 1234567.891|number }}", "1.234.567,891"),
    ("ar", "{{ 1234567.891|number }}", "1,234,567.891"),
    ("ja", "{{ 1234567.891|number }}", "1,234,567.891"),
    ("en", "{{ 1234.5|number(2) }}", "1,234.50"),
    ("pl", "{{ 1234.5|number(2) }}", f"1{NBSP}234,50"),
    ("de", "{{ 1234.5|number(2) }}", "1.234,50"),
    ("ar", "{{ 1234.5|number(2) }}", "1,234.50"),
    ("ja", "{{ 1234.5|number(2) }}", "1,234.50"),
    # currency
    ("en", "{{ 1234.5|currency('EUR') }}", "€1,234.50"),
    ("pl", "{{ 1234.5|currency('PLN') }}", f"1{NBSP}234,50{NBSP}zł"),
    ("de", "{{ 1234.5|currency('EUR') }}", f"1.234,50{NBSP}€"),
    ("ar", "{{ 1234.5|currency('EUR') }}", f"{RLM}1,234.50{NBSP}€"),
    ("ja", "{{ 1234.5|currency('JPY') }}", "￥1,235"),
    # percent (the value is a fraction)
    ("en", "{{ 0.256|percent }}", "26%"),
    ("pl", "{{ 0.256|percent }}", "26%"),
    ("de", "{{ 0.256|percent }}", f"26{NBSP}%"),
    ("ar", "{{ 0.256|percent }}", "26%"),
    ("ja", "{{ 0.256|percent(1) }}", "25.6%"),
]


@pytest.mark.parametrize(("locale", "content", "expected"), LOCALE_TABLE)
def test_filter_in_locale(locale: str, content: str, expected: str) -> None:
    assert one(content, locale=locale) == expected


# ---------------------------------------------------------------- dates and times

@pytest.mark.parametrize(("content", "expected"), [
    (UNTIL + "|date('d MMMM y') }}", "5 maja 2030"),  # a CLDR pattern
    (UNTIL + "|date('EEEE') }}", "niedziela"),
    ("{{ '2030-05-05T23:30:00Z'|date('long') }}", "5 maja 2030"),
    ("{{ '2030-05-05T23:30:00Z'|date('long', 'Asia/Tokyo') }}", "6 maja 2030"),
    ("{{ '2030-05-05T23:30:00Z'|date('long', tz='America/New_York') }}", "5 maja 2030"),
    ("{{ '2030-05-05T13:00:00+02:00'|time('short') }}", "11:00"),  # UTC by default
    ("{{ '2030-05-05 13:00'|time('short') }}", "13:00"),  # no offset: read as UTC
    ("{{ '2030-05-05'|date('long') }}", "5 maja 2030"),
    ("{{ '2030-05-05'|datetime('short') }}", "5.05.2030, 00:00"),
    ("{{ d|date('long') }}", "1 stycznia 2031"),
    ("{{ dt|datetime('short', 'Europe/Warsaw') }}", "1.01.2031, 13:30"),
])
def test_dates_and_times(content: str, expected: str) -> None:
    context = {"d": date(2031, 1, 1), "dt": datetime(2031, 1, 1, 12, 30, tzinfo=UTC)}
    assert one(content, locale="pl", context=context) == expected


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize(("content", "expected"), [
    ("{{ 1234|number }}", "1,234"),
    ("{{ '1234.5678'|number }}", "1,234.568"),
    ("{{ offer.stock|number(1) }}", "30.0"),
    ("{{ 2.5|number(0) }} {{ -2.5|number(0) }} {{ 0.125|number(2) }}", "3 -3 0.13"),  # half up
    ("{{ 1.005|currency('EUR') }}", "€1.01"),
    ("{{ 12|currency('usd') }}", "$12.00"),
    ("{{ 12|currency('EUR', 0) }}", "€12"),
    ("{{ 1500|currency('JPY') }}", "¥1,500"),
    ("{{ 0.5|percent }} {{ 1|percent }} {{ 0.1234|percent(2) }}", "50% 100% 12.34%"),
    ("{{ -0.005|percent }}", "-1%"),
])
def test_numbers(content: str, expected: str) -> None:
    assert one(content) == expected


def test_decimal_from_the_context() -> None:
    assert one("{{ price|currency('PLN') }}", locale="pl", context={"price": Decimal("9.99")}) == (
        f"9,99{NBSP}zł")


# ---------------------------------------------------------------- missing and bad values

@pytest.mark.parametrize("name", ["date", "datetime", "time", "number", "percent"])
def test_null_value_prints_nothing(name: str) -> None:
    diag = Diagnostics(strict=True)
    assert one(f"[{{{{ offer.read_more|{name} }}}}]", diag=diag) == "[]"
    assert diag.warnings == []


def test_unknown_name_through_a_filter_is_an_unknown_placeholder() -> None:
    diag = Diagnostics()
    assert one("[{{ offer.extras.ends|date }}][{{ price|currency('EUR') }}]", diag=diag) == "[][]"
    assert [w.message for w in diag.warnings] == [
        "rectangle 'R0': unknown placeholder {{offer.extras.ends}}",
        "rectangle 'R0': unknown placeholder {{price}}",
    ]
    assert refused("{{ price|number }}", diag=Diagnostics(strict=True)) == (
        "rectangles[0].content", "rectangle 'R0': unknown placeholder {{price}} (strict mode)")


@pytest.mark.parametrize(("content", "message"), [
    ("{{ 'soon'|date }}",
     "filter 'date': cannot read 'soon' as a date or time (expected ISO 8601 such as "
     "2030-05-05T13:00:00Z)"),
    ("{{ 42|datetime }}", "filter 'datetime': cannot read 42 as a date or time"),
    ("{{ offer.stores|time }}", "filter 'time': cannot read ['Shop A', 'Shop B'] as a date"),
    (UNTIL + "|date(tz='Mars/Olympus') }}",
     "filter 'date': unknown time zone 'Mars/Olympus' (expected a name such as Europe/Warsaw)"),
    (UNTIL + "|date(tz='../../etc/passwd') }}", "filter 'date': unknown time zone"),
    (UNTIL + "|date('qqqqqqq') }}", "filter 'date': cannot format: "),
    (UNTIL + "|date(5) }}", "filter 'date': format must be short, medium, long, full or a"),
    ("{{ 'abc'|number }}", "filter 'number': cannot read 'abc' as a number"),
    ("{{ 'NaN'|number }}", "filter 'number': cannot read 'NaN' as a number"),
    ("{{ true|percent }}", "filter 'percent': cannot read True as a number"),
    ("{{ 1e30|number }}", "filter 'number': 1e+30 is too large to format"),
    ("{{ 1|number(99) }}", "filter 'number': digits must be a whole number from 0 to 20"),
    ("{{ 1|number('2') }}", "filter 'number': digits must be a whole number from 0 to 20"),
    ("{{ 5|currency }}",
     "filter 'currency': needs a three-letter currency code such as currency('EUR'), not None"),
    ("{{ 5|currency('EURO') }}", "filter 'currency': needs a three-letter currency code"),
    ("{{ name|currency('EUR') }}", "filter 'currency': cannot read 'Great Offer!' as a number"),
])
def test_bad_value_is_a_clear_error_naming_rectangle_and_filter(content: str, message: str) -> None:
    path, got = refused(content)
    assert path == "rectangles[0].content"
    assert got.startswith("rectangle 'R0': " + message)


# ---------------------------------------------------------------- the render locale

def test_unknown_locale_falls_back_to_the_default_with_a_warning() -> None:
    diag = Diagnostics(strict=True)
    assert one(UNTIL + "|date('long') }}", locale="xx-YY", default_locale="de", diag=diag) == (
        "5. Mai 2030")
    assert [(w.code, w.path, w.message) for w in diag.warnings] == [
        ("unknown_locale", "locale",
         "locale 'xx-YY' is not known to Babel; dates and numbers are formatted for 'de'")]


def test_unknown_locale_and_default_fall_back_to_en() -> None:
    diag = Diagnostics()
    assert one("{{ 1234.5|number }}", locale="zz", default_locale="qq", diag=diag) == "1,234.5"
    assert [w.code for w in diag.warnings] == ["unknown_locale"]
    assert "formatted for 'en'" in diag.warnings[0].message


@pytest.mark.parametrize(("locale", "expected"), [
    ("pl-XX", "5 maja 2030"),  # unknown region: the language, no warning
    ("pt_BR", "5 de maio de 2030"),
    ("PT-br", "5 de maio de 2030"),
    ("de-AT", "5. Mai 2030"),
    ("sr-Latn", "5. maj 2030."),
])
def test_locale_spellings(locale: str, expected: str) -> None:
    diag = Diagnostics()
    assert one(UNTIL + "|date('long') }}", locale=locale, diag=diag) == expected
    assert diag.warnings == []


def test_unknown_locale_without_filters_warns_nothing() -> None:
    diag = Diagnostics()
    assert one("{{ name }}", locale="xx", diag=diag) == "Great Offer!"
    assert diag.warnings == []


def test_the_locale_variable_does_not_change_the_filters() -> None:
    assert one("{% set locale = 'de' %}{{ 0.5|number }}", locale="pl") == "0,5"


def test_each_thread_formats_in_its_own_locale() -> None:
    expected = {"en": "May 5, 2030|1,234.5", "pl": "5 maja 2030|1\xa0234,5",
                "de": "5. Mai 2030|1.234,5", "ja": "2030年5月5日|1,234.5"}
    content = UNTIL + "|date('long') }}|{{ 1234.5|number }}"

    def work(i: int) -> tuple[str, str]:
        locale = list(expected)[i % len(expected)]
        return locale, one(content, locale=locale)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(400)))
    assert all(text == expected[locale] for locale, text in results)


# ---------------------------------------------------------------- Jinja's built-ins

@pytest.mark.parametrize(("content", "expected"), [
    ("{{ name|upper }}", "GREAT OFFER!"),
    ("{{ name|lower }}", "great offer!"),
    ("{{ 'big sale'|title }}", "Big Sale"),
    ("{{ 'big sale'|capitalize }}", "Big sale"),
    ("{{ description|truncate(5, True, '…', 0) }}", "Spec…"),
    ("{{ offer.nope|default('none') }}", "none"),
    ("{{ offer.stores|join(' & ') }}", "Shop A & Shop B"),
    ("{{ name|replace('Great', 'Good') }}", "Good Offer!"),
    ("{{ '  x  '|trim }}", "x"),
    ("{{ 2.567|round(1) }} {{ 2.5|round(0, 'floor') }}", "2.6 2.0"),
    ("{{ offer.stores|length }} {{ offer.stores|first }} {{ offer.stores|last }}",
     "2 Shop A Shop B"),
    ("{{ offer.stores|map('upper')|join(',') }}", "SHOP A,SHOP B"),
    ("{{ offer.stores|reverse|join(',') }}", "Shop B,Shop A"),
    ("{{ [3, 1, 2]|sort|join }}", "123"),
    ("{{ '%s left'|format(offer.stock) }}", "30 left"),
    ("{{ 'x'|center(5) }}|", "  x  |"),
    ("{{ 'a b c'|wordcount }}", "3"),
    ("{{ offer.extras|dictsort|first|join('=') }}", "something=additional"),
    ("{{ name.split()|first }} {{ name.startswith('Great') }}", "Great True"),
    ("{{ offer.usable_until[:10] }}", "2030-05-05"),
])
def test_builtin_filters_keep_working(content: str, expected: str) -> None:
    assert one(content) == expected


def test_filters_chain_with_the_locale_filters() -> None:
    assert one(UNTIL + "|date('long')|upper }}", locale="de") == "5. MAI 2030"
    assert one("{{ offer.stock|currency('PLN')|replace('\xa0', ' ') }}", locale="pl") == (
        "30,00 zł")


def test_texts_per_rectangle_use_the_same_locale() -> None:
    texts: tuple[str, ...] = merge("{{ 0.5|percent }}", "{{ 1000|number }}", locale="de")
    assert texts == (f"50{NBSP}%", "1.000")
