"""Take a character, its cluster and the render locale; return the Noto families fallback names.

When no face of a rectangle's ``font_family`` list (nor its generic family) has a
character, Chromium asks the system for a font for it, as a phone does: on Android
and ChromeOS, and on Linux with the Noto fonts (fontconfig preferring Noto Sans per
script), that is the Noto face of the character's script:

- Noto Sans <Script> for every script that has one (``Noto Sans Devanagari``,
  ``Noto Sans Thai``...), Noto Sans for Latin, Greek and Cyrillic, and Noto Serif
  <Script> where Noto has only a serif (Tibetan, Ahom, Dogra, Tangut, Yezidi);
- Noto Sans CJK for Han, by language (CSS Fonts 4 and Chromium's
  ``FontCache::GetFontForCharacter`` take the content locale): ``ko`` -> KR, ``ja``
  -> JP, ``zh-Hant``/``zh-TW``/``zh-HK``/``zh-MO`` -> TC, other Chinese -> SC; with
  no CJK locale, the text decides (kana -> JP, Hangul -> KR), else SC. Hangul is
  always KR, kana JP, Bopomofo TC;
- Noto Color Emoji for emoji presentation (Unicode's Emoji_Presentation, or a
  following U+FE0F, keycaps, flags, modifier and ZWJ sequences, as UTS #51 says);
  text presentation (U+FE0E, or text-default emoji) tries text fonts first;
- symbols without a script: Noto Sans Symbols, Symbols 2 and Math.

Family names are Google Fonts' (the font source speaks them), so a font source can
serve any of them.
"""

from __future__ import annotations

from functools import cache

import regex
from fontTools import unicodedata as ucd

VS15, VS16 = "\ufe0e", "\ufe0f"
KEYCAP = "\u20e3"
ZWJ = "\u200d"
EMOJI_FAMILY = "Noto Color Emoji"
SYMBOL_FAMILIES = ("Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Math")
LATIN_FAMILY = "Noto Sans"

_SERIF_ONLY = frozenset({"Tibt", "Ahom", "Dogr", "Tang", "Yezi", "Hmnp"})
"""Scripts Noto draws only with a serif design."""
_NAMES = {
    "Latn": LATIN_FAMILY, "Grek": LATIN_FAMILY, "Cyrl": LATIN_FAMILY,
    "Hang": "Noto Sans KR", "Hira": "Noto Sans JP", "Kana": "Noto Sans JP",
    "Bopo": "Noto Sans TC", "Nkoo": "Noto Sans NKo", "Phag": "Noto Sans PhagsPa",
    "Hmnp": "Noto Serif NP Hmong", "Brai": "Noto Sans Symbols 2",
}
"""Scripts whose family is not "Noto Sans " + the script's name."""
_CJK_BY_REGION = {"TW": "TC", "HK": "TC", "MO": "TC"}
_CJK_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Hang", "Bopo"})
_ANDROID_ORDER = (
    "Arab", "Ethi", "Hebr", "Thai", "Armn", "Geor", "Deva", "Gujr", "Guru", "Taml", "Mlym",
    "Beng", "Telu", "Knda", "Orya", "Sinh", "Khmr", "Laoo", "Mymr", "Thaa",
)
"""Scripts in the order Android's fallback list (frameworks/base/data/fonts/fonts.xml)
gives their faces, the major scripts first; a character shared by several scripts (the
Arabic comma: Arabic, Syriac, Thaana, N'Ko...) takes the first. Others follow by code."""


def _fallback_rank(script: str) -> tuple[int, str]:
    """Return the sort key of a script among a character's script extensions."""
    try:
        return (_ANDROID_ORDER.index(script), script)
    except ValueError:
        return (len(_ANDROID_ORDER), script)

_EMOJI_PRESENTATION = regex.compile(r"\p{Emoji_Presentation}")
_EMOJI = regex.compile(r"\p{Emoji}")
_MODIFIER = regex.compile(r"\p{Emoji_Modifier}")
_REGIONAL = regex.compile(r"\p{Regional_Indicator}")


@cache
def script_family(script: str) -> str | None:
    """Return the Noto family for an ISO 15924 script code, or None for Common/Inherited."""
    if script in ("Zyyy", "Zinh", "Zzzz", "Hani"):
        return None
    if script in _NAMES:
        return _NAMES[script]
    style = "Serif" if script in _SERIF_ONLY else "Sans"
    return f"Noto {style} {ucd.script_name(script)}"


def cjk_family(language: str | None, text: str) -> str:
    """Return the Noto Sans CJK family Han characters take for ``language`` and ``text``."""
    parts = (language or "").replace("_", "-").split("-")
    lang = parts[0].lower()
    if lang == "ko":
        return "Noto Sans KR"
    if lang == "ja":
        return "Noto Sans JP"
    if lang == "zh":
        rest = [p.upper() for p in parts[1:]]
        hant = "HANT" in rest or any(_CJK_BY_REGION.get(p) == "TC" for p in rest)
        return "Noto Sans TC" if hant else "Noto Sans SC"
    scripts = {ucd.script(c) for c in text if ord(c) >= 0x3000}
    if scripts & {"Hira", "Kana"}:
        return "Noto Sans JP"
    if "Hang" in scripts:
        return "Noto Sans KR"
    return "Noto Sans SC"


def emoji_presentation(cluster: str) -> bool | None:
    """Return True when ``cluster`` shows as emoji, False as text, None when not an emoji.

    UTS #51: a following U+FE0F asks for emoji, U+FE0E for text; keycap sequences,
    flags (regional indicator pairs), modifier sequences and ZWJ sequences are emoji;
    otherwise the base character's Emoji_Presentation property decides.
    """
    base = cluster[0]
    if len(cluster) == 1 and ord(base) < 0x80:
        return None  # a lone ASCII character: never drawn as emoji (keycaps have U+20E3)
    if VS15 in cluster:
        return False
    if not _EMOJI.match(base):
        return None
    if (VS16 in cluster or KEYCAP in cluster or _REGIONAL.match(base)
            or any(_MODIFIER.match(c) for c in cluster[1:])
            or (ZWJ in cluster and len(cluster) > 2)):
        return True
    return bool(_EMOJI_PRESENTATION.match(base))


def fallback_families(cluster: str, *, han: str) -> tuple[str, ...]:
    """Return the families to try, in order, for a cluster no family face draws.

    ``han`` is the CJK family Han characters take (see :func:`cjk_family`).
    """
    presentation = emoji_presentation(cluster)
    if presentation:
        return (EMOJI_FAMILY, *SYMBOL_FAMILIES)
    base = cluster[0]
    script = ucd.script(base)
    if script == "Hani":
        named: tuple[str, ...] = (han,)
    else:
        family = script_family(script)
        named = (family,) if family else ()
        if not named:  # a symbol, digit or mark: script extensions, then the symbol faces
            extensions = ucd.script_extension(base) - {"Zyyy", "Zinh"}
            cjk = [han] if extensions & _CJK_SCRIPTS else []  # 、。「」 take the locale's face
            named = tuple(dict.fromkeys([*cjk, *(
                han if s == "Hani" else (script_family(s) or LATIN_FAMILY)
                for s in sorted(extensions, key=_fallback_rank))]))
            named = (*named, LATIN_FAMILY, *SYMBOL_FAMILIES)
    if presentation is False:  # text presentation: text faces first, the emoji font last
        named = (*named, *SYMBOL_FAMILIES, EMOJI_FAMILY)
    return tuple(dict.fromkeys(named))


_COMPOSITE_SCRIPTS = {
    "Kore": ("Hang", "Hani"), "Jpan": ("Hira", "Kana", "Hani"), "Hans": ("Hani",),
    "Hant": ("Hani",), "Hanb": ("Hani", "Bopo"),
}
"""ISO 15924 codes that stand for several scripts (Korean, Japanese, Chinese)."""
_HAN_LANGUAGE = {"Hans": "zh-Hans", "Hant": "zh-Hant", "Kore": "ko", "Jpan": "ja"}
"""The language whose CJK face Han takes under each composite script code."""


def families_for_code(code: str) -> tuple[str, ...]:
    """Return the families fallback names for a language (``ko``, ``zh-Hant``) or an ISO
    15924 script code (``Thai``, ``Deva``), as ``offer-render fonts pull --scripts`` takes
    them; raise ValueError naming the code when it is neither."""
    from babel.core import get_global

    text = code.strip().replace("_", "-")
    is_script = text.title() in _COMPOSITE_SCRIPTS or ucd.script_name(text.title(), "") != ""
    if len(text) == 4 and text.isalpha() and is_script:
        script, language = text.title(), None
    else:
        likely = get_global("likely_subtags")
        expanded = likely.get(text.replace("-", "_")) or likely.get(text.split("-")[0].lower())
        if not expanded:
            msg = f"{code!r} is neither a language nor an ISO 15924 script code"
            raise ValueError(msg)
        parts = expanded.split("_")
        script, language = parts[1], text
    out = [cjk_family(language or _HAN_LANGUAGE.get(script, ""), "") if s == "Hani"
           else script_family(s) or LATIN_FAMILY for s in _COMPOSITE_SCRIPTS.get(script, (script,))]
    return tuple(dict.fromkeys(out))
