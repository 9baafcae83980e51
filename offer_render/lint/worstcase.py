"""Take the sample offers and locales; return the cases lint renders, worst-case data included.

Cases are the samples in every locale, plus data lint makes itself from them:

- **longest texts**, per locale: the longest name and description any sample has
  in that locale (a built-in long text when none has one), the three longest
  store names among the samples and a built-in set of long real-world mall
  names, and a long collection title (for ``{{collection}}``);
- **RTL**: Arabic name, description, stores and collection, rendered in ``ar``;
- **emoji**: the longest texts of the first locale with emoji added.

Each worst-case offer starts as a copy of the first sample (so ``{{offer.x}}``
paths the samples have still resolve), or as a synthetic offer with the
platform's usual fields when there is no sample.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from offer_render.preview.samples import Sample

LONG_NAME = "Limited time only: every second coffee on us, all week long"
LONG_DESCRIPTION = (
    "Order any hot drink and the second one is free, in every café of the city centre, "
    "from Monday morning until Sunday evening, while stocks last. One offer per visit."
)
LONG_STORES = (
    "Centrum Handlowo-Usługowe Galeria Mokotów – Pawilon Wschodni",
    "Einkaufszentrum Hauptbahnhof Nord, Obergeschoss Süd",
    "Westfield Stratford City Shopping Centre, Level 2",
)
"""Long store names as the platform holds them (names of real shopping centres)."""
LONG_COLLECTION = "Autumn favourites from the neighbourhood's independent cafés"
RTL_LOCALE = "ar"
RTL_NAME = "عرض خاص لفترة محدودة: القهوة الثانية مجانا طوال الأسبوع"
RTL_DESCRIPTION = (
    "اطلب أي مشروب ساخن واحصل على الثاني مجانا في جميع مقاهي وسط المدينة "
    "من صباح الاثنين حتى مساء الأحد، حتى نفاد الكمية."
)
RTL_STORES = ("مقهى النخيل – مركز المدينة", "مول الإمارات، الطابق الثاني")
RTL_COLLECTION = "مفضلات الخريف من مقاهي الحي"
EMOJI = " ☕🎉"
WORST_COLLECTION_ID = 987654321
"""Collection id the worst-case offers point to, so ``{{collection}}`` gets LONG_COLLECTION."""
SYNTHETIC_OFFER: dict[str, Any] = {
    "id": "worst-case",
    "type": "regular",
    "status": "published",
    "internal_name": "worst case",
    "usable_since": "2030-01-01T00:00:00.000000Z",
    "usable_until": "2030-12-31T23:59:59.000000Z",
    "visible_since": "2030-01-01T00:00:00.000000Z",
    "visible_until": "2030-12-31T23:59:59.000000Z",
    "store_id": 1,
    "stock": 1000,
    "extras": {},
}
"""The platform's usual offer fields, for worst-case data when no sample offer is given."""


@dataclass(frozen=True)
class Case:
    """One render lint makes: a label, the offer data, the locale, and whether lint made it up."""

    label: str
    offer: Mapping[str, Any] | None
    locale: str
    worst: bool = False
    collections: tuple[Mapping[str, Any], ...] | None = None


def sample_cases(samples: Sequence[Sample], locales: Sequence[str]) -> list[Case]:
    """Return one case per sample and locale, labelled ``offer · locale``."""
    return [
        Case(f"{s.label} · {locale}", s.offer, locale)
        for s in samples for locale in locales
    ]


def worst_cases(samples: Sequence[Sample], locales: Sequence[str]) -> list[Case]:
    """Return the worst-case cases: longest texts per locale, RTL, emoji (see the module)."""
    offers = [s.offer for s in samples if s.offer is not None]
    base = _base(offers)
    stores = _longest_stores(offers)
    cases: list[Case] = []
    for locale in locales:
        name = _longest(offers, "name", locale) or LONG_NAME
        description = _longest(offers, "description", locale) or LONG_DESCRIPTION
        offer = _offer(base, locale, name, description, stores)
        cases.append(Case(f"worst case: longest texts · {locale}", offer, locale, True,
                          _collections(locale, LONG_COLLECTION)))
    rtl = _offer(base, RTL_LOCALE, RTL_NAME, RTL_DESCRIPTION, RTL_STORES)
    cases.append(Case(f"worst case: RTL · {RTL_LOCALE}", rtl, RTL_LOCALE, True,
                      _collections(RTL_LOCALE, RTL_COLLECTION)))
    first = locales[0]
    name = (_longest(offers, "name", first) or LONG_NAME) + EMOJI
    description = (_longest(offers, "description", first) or LONG_DESCRIPTION) + EMOJI
    emoji_stores = tuple(f"{s}{EMOJI}" for s in stores)
    cases.append(Case(f"worst case: emoji · {first}",
                      _offer(base, first, name, description, emoji_stores), first, True,
                      _collections(first, LONG_COLLECTION + EMOJI)))
    return cases


def _base(offers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    base = copy.deepcopy(dict(offers[0])) if offers else copy.deepcopy(SYNTHETIC_OFFER)
    base.pop("image_template", None)
    return base


def _offer(
    base: Mapping[str, Any], locale: str, name: str, description: str, stores: Sequence[str]
) -> dict[str, Any]:
    offer = copy.deepcopy(dict(base))
    offer["name"] = {locale: name}
    offer["description"] = {locale: description}
    offer["stores"] = list(stores)
    offer["collection_ids"] = [WORST_COLLECTION_ID]
    return offer


def _collections(locale: str, title: str) -> tuple[Mapping[str, Any], ...]:
    return ({"id": WORST_COLLECTION_ID, "title": {locale: title}},)


def _text(value: object, locale: str) -> str | None:
    """Return the text of a LocalizedContent for ``locale`` or its language, if present."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for key in (locale, locale.replace("_", "-").split("-")[0]):
            text = value.get(key)
            if isinstance(text, str) and text:
                return text
    return None


def _longest(offers: Sequence[Mapping[str, Any]], key: str, locale: str) -> str | None:
    texts = [t for o in offers if (t := _text(o.get(key), locale))]
    return max(texts, key=len) if texts else None


def _longest_stores(offers: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    names: dict[str, None] = dict.fromkeys(LONG_STORES)
    for offer in offers:
        stores = offer.get("stores")
        for store in stores if isinstance(stores, list) else ():
            name = store.get("name") if isinstance(store, Mapping) else store
            if isinstance(name, str) and name.strip():
                names[name] = None
    return tuple(sorted(names, key=len, reverse=True)[:3])
