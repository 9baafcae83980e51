"""Format dates, times, numbers, money and percentages in a render locale: take a value, give text.

Babel does the formatting from CLDR data.

Filters (all in the render locale, which :func:`use_locale` sets per render):

- ``date(format="medium", tz="UTC")``, ``datetime(...)``, ``time(...)``: the value is
  an ISO 8601 string (``"2030-05-05T13:00:00.000000Z"``, ``"2030-05-05"``) or a
  date/datetime object; ``format`` is ``short``, ``medium``, ``long``, ``full`` or a
  CLDR pattern (``"d MMMM y"``, ``"EEEE"``); ``tz`` an IANA zone (``"Europe/Warsaw"``).
  A time without an offset is read as UTC.
- ``number(digits=None)``: grouped decimal, up to three fraction digits, or
  exactly ``digits``.
- ``currency(code, digits=None)``: ``code`` is an ISO 4217 code; fraction digits
  are the currency's own (2 for EUR, 0 for JPY) unless ``digits`` is given.
- ``percent(digits=None)``: the value is a fraction, ``0.25`` gives ``25%``.

Numbers are rounded half away from zero, as browsers' ``Intl`` formats do
(Babel alone rounds half to even). A null value prints as nothing; an unknown
name prints as nothing and is reported like any unknown placeholder. A value
that cannot be read raises :class:`FilterError`, which the merge stage turns
into an error naming the rectangle. A locale Babel does not know falls back to
its language, then to the default locale, then ``en``, with a warning.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from jinja2 import Undefined, pass_context
from jinja2.runtime import Context

from offer_render.cache import process_cache

__all__ = ["FILTERS", "FilterError", "LocaleChoice", "use_locale"]

_NAMED_FORMATS = frozenset({"short", "medium", "long", "full"})
_MAX_MAGNITUDE = Decimal(10) ** 18
"""Largest absolute number the number filters format (beyond it no price or count is real)."""
_MAX_DIGITS = 20
_MAX_TEXT_ARG = 64
_TZ_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


class FilterError(ValueError):
    """A filter was given a value or argument it cannot format; the message names the filter."""

    def __init__(self, name: str, problem: str) -> None:
        self.filter = name
        super().__init__(f"filter {name!r}: {problem}")


# ---------------------------------------------------------------- the render locale

_LOCALES = process_cache("babel_locales", lambda _locale: 2048)
"""Locale tag -> Babel locale, or False when Babel does not know it. Babel keeps the
CLDR data a locale loads in its own process-wide cache, outside this budget."""


def _parse_locale(tag: str) -> Locale | None:
    found: Locale | bool = _LOCALES.get_or_make(tag, lambda: _babel_locale(tag) or False)
    return found if isinstance(found, Locale) else None


def _babel_locale(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag.strip().replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


@dataclass
class LocaleChoice:
    """The Babel locale of one render, resolved on first use.

    ``fallback`` is set (to the locale used instead) when neither ``requested``
    nor its language is known to Babel; the merge stage then warns.
    """

    requested: str
    default: str
    fallback: str | None = None
    _locale: Locale | None = field(default=None, repr=False)

    def locale(self) -> Locale:
        """Return the Babel locale filters format in."""
        if self._locale is None:
            self._locale = self._resolve()
        return self._locale

    def _resolve(self) -> Locale:
        found = _parse_locale(self.requested)
        if found is None:
            language = re.split(r"[-_.@]", self.requested.strip(), maxsplit=1)[0]
            found = _parse_locale(language) if language else None
        if found is not None:
            return found
        for candidate in (self.default, "en"):
            found = _parse_locale(candidate)
            if found is not None:
                self.fallback = candidate
                return found
        msg = "Babel always knows 'en'"
        raise AssertionError(msg)  # pragma: no cover


_CHOICE: ContextVar[LocaleChoice | None] = ContextVar("_CHOICE", default=None)


@contextmanager
def use_locale(locale: str, default_locale: str) -> Iterator[LocaleChoice]:
    """Make the filters format in ``locale`` for the code inside (this thread or task only)."""
    choice = LocaleChoice(locale, default_locale)
    token = _CHOICE.set(choice)
    try:
        yield choice
    finally:
        _CHOICE.reset(token)


def _current() -> Locale:
    choice = _CHOICE.get()
    if choice is None:
        choice = LocaleChoice("en", "en")
    return choice.locale()


# ---------------------------------------------------------------- reading values

def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _to_moment(value: object, name: str) -> date:
    """Return a date or an aware datetime (naive ones are taken as UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) <= _MAX_TEXT_ARG:
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    problem = (f"cannot read {_show(value)} as a date or time "
               "(expected ISO 8601 such as 2030-05-05T13:00:00Z)")
    raise FilterError(name, problem)


def _zone(tz: object, name: str) -> tzinfo:
    if tz is None or tz == "UTC":
        return UTC
    if isinstance(tz, tzinfo):
        return tz
    if isinstance(tz, str) and len(tz) <= _MAX_TEXT_ARG and _TZ_NAME.fullmatch(tz):
        try:
            return _zone_named(tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise FilterError(name, f"unknown time zone {_show(tz)} (expected a name such as "
                            "Europe/Warsaw)")


_ZONES = process_cache("time_zones", lambda _zone: 1024)
"""Time zone name -> zone (ZoneInfo keeps the zone data in its own cache as well)."""


def _zone_named(tz: str) -> tzinfo:
    zone: tzinfo = _ZONES.get_or_make(tz, lambda: ZoneInfo(tz))
    return zone


def _to_number(value: object, name: str) -> Decimal:
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = Decimal(value) if abs(value) < _MAX_MAGNITUDE else None
    elif isinstance(value, float):
        number = Decimal(repr(value))  # 0.1 is 0.1, not its binary neighbour
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and len(value) <= _MAX_TEXT_ARG:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise FilterError(name, f"cannot read {_show(value)} as a number")
    if abs(number) >= _MAX_MAGNITUDE:
        raise FilterError(name, f"{_show(value)} is too large to format")
    return number


def _digits(digits: object, name: str) -> int | None:
    if digits is None:
        return None
    if isinstance(digits, int) and not isinstance(digits, bool) and 0 <= digits <= _MAX_DIGITS:
        return digits
    raise FilterError(name, f"digits must be a whole number from 0 to {_MAX_DIGITS}, "
                            f"not {_show(digits)}")


def _round(number: Decimal, places: int) -> Decimal:
    with localcontext(prec=64):  # 18 integer digits + 20 fraction digits fit
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _with_fraction(pattern: Any, digits: int | None) -> Any:
    if digits is None:
        return pattern
    fixed = copy.copy(pattern)
    fixed.frac_prec = (digits, digits)
    return fixed


def _missing(value: object) -> str | None:
    """Return the text for a value with nothing to format (null, unknown name), else None."""
    if isinstance(value, Undefined):
        return str(value)  # records the unknown name, like printing it would
    if value is None:
        return ""
    return None


# ---------------------------------------------------------------- the filters

def _date_format(fmt: object, name: str) -> str:
    if isinstance(fmt, str) and 0 < len(fmt) <= _MAX_TEXT_ARG:
        return fmt
    raise FilterError(name, f"format must be short, medium, long, full or a date pattern, "
                            f"not {_show(fmt)}")


def _babel_call(name: str, func: Any, *args: Any, **kwargs: Any) -> str:
    try:
        return str(func(*args, **kwargs))
    except FilterError:
        raise
    except Exception as e:  # noqa: BLE001 - a bad pattern surfaces as many error types
        raise FilterError(name, f"cannot format: {e}") from None


@pass_context
def date_filter(context: Context, value: Any, format: Any = "medium", tz: Any = None) -> str:
    """Format the date of ``value`` (in ``tz``, default UTC): ``5 maja 2030`` (pl, long)."""
    missing = _missing(value)
    if missing is not None:
        return missing
    moment = _to_moment(value, "date")
    if isinstance(moment, datetime):
        moment = moment.astimezone(_zone(tz, "date")).date()
    fmt = _date_format(format, "date")
    return _babel_call("date", babel_dates.format_date, moment, fmt, locale=_current())


def _format_moment(name: str, func: Any, value: Any, format: Any, tz: Any) -> str:
    """Format ``value`` as a moment in ``tz`` (default UTC) with Babel's ``func``; a bare
    date counts as midnight there. ``name`` is the filter's, for error messages."""
    missing = _missing(value)
    if missing is not None:
        return missing
    moment = _to_moment(value, name)
    zone = _zone(tz, name)
    if not isinstance(moment, datetime):  # a bare date: midnight where it is read
        moment = datetime.combine(moment, time(0), tzinfo=zone)
    fmt = _date_format(format, name)
    return _babel_call(name, func, moment, fmt, tzinfo=zone, locale=_current())


@pass_context
def datetime_filter(context: Context, value: Any, format: Any = "medium", tz: Any = None) -> str:
    """Format ``value`` as date and time in ``tz`` (default UTC): ``May 5, 2030, 1:00:00 PM``."""
    return _format_moment("datetime", babel_dates.format_datetime, value, format, tz)


@pass_context
def time_filter(context: Context, value: Any, format: Any = "medium", tz: Any = None) -> str:
    """Format the time of ``value`` in ``tz`` (default UTC): ``13:00:00`` (pl, medium)."""
    return _format_moment("time", babel_dates.format_time, value, format, tz)


@pass_context
def number_filter(context: Context, value: Any, digits: Any = None) -> str:
    """Format ``value`` as a grouped decimal: ``1 234 567,891`` (pl)."""
    missing = _missing(value)
    if missing is not None:
        return missing
    number = _to_number(value, "number")
    places = _digits(digits, "number")
    locale = _current()
    pattern = locale.decimal_formats[None]
    number = _round(number, places if places is not None else pattern.frac_prec[1])
    return _babel_call("number", babel_numbers.format_decimal, number,
                       format=_with_fraction(pattern, places), locale=locale)


@pass_context
def currency_filter(context: Context, value: Any, code: Any = None, digits: Any = None) -> str:
    """Format ``value`` as an amount of currency ``code``: ``1 234,50 zł`` (pl, PLN)."""
    missing = _missing(value)
    if missing is not None:
        return missing
    if not isinstance(code, str) or not _CURRENCY.fullmatch(code):
        name = "currency"
        raise FilterError(name, f"needs a three-letter currency code such as currency('EUR'), "
                                f"not {_show(code)}")
    code = code.upper()
    number = _to_number(value, "currency")
    places = _digits(digits, "currency")
    locale = _current()
    if places is None:
        places = babel_numbers.get_currency_precision(code)
    pattern = _with_fraction(locale.currency_formats["standard"], places)
    return _babel_call("currency", babel_numbers.format_currency, _round(number, places), code,
                       format=pattern, locale=locale, currency_digits=False)


@pass_context
def percent_filter(context: Context, value: Any, digits: Any = None) -> str:
    """Format the fraction ``value`` as a percentage: ``0.256`` gives ``26 %`` (de)."""
    missing = _missing(value)
    if missing is not None:
        return missing
    number = _to_number(value, "percent")
    places = _digits(digits, "percent")
    locale = _current()
    pattern = locale.percent_formats[None]
    scaled = _round(number * 100, places if places is not None else pattern.frac_prec[1])
    return _babel_call("percent", babel_numbers.format_percent, scaled / 100,
                       format=_with_fraction(pattern, places), locale=locale)


FILTERS: dict[str, Callable[..., str]] = {
    "date": date_filter,
    "datetime": datetime_filter,
    "time": time_filter,
    "number": number_filter,
    "currency": currency_filter,
    "percent": percent_filter,
}
"""The locale-aware filters by name, for the sandbox to register."""
