"""The forms of an Italian word a visitor may mean when typing another one.

PostgreSQL's Italian Snowball stemmer gives some singular/plural and
noun/adjective pairs different stems (`carriera` → `carrier`, `carriere` →
`carr`; `sostenibile` → `sosten`, `sostenibilità` → `sostenibil`), and a
visitor often types a word without its final accent (`citta`, `poverta`). The
search therefore asks for each word of the query in all the forms a regular
Italian inflection gives it (`forms`), stemmed by the same Snowball stemmer
that built the index: no dictionary to install, nothing to reindex, nothing
added to writes. A form that is not a word stems to something no document
holds, and matches nothing.

The rules, each on a word of four letters or more:

- the final vowel in the four of gender and number (`-a`, `-e`, `-i`, `-o`):
  `carriera`/`carriere`, `infermiere`/`infermieri`, `anziano`/`anziani`;
- `-io` and `-i` (`laboratorio`/`laboratori`), `-co`/`-chi`, `-ca`/`-che`,
  `-go`/`-ghi`, `-ga`/`-ghe` (`banca`/`banche`, `parco`/`parchi`);
- the adjective and its abstract noun: `-ile`/`-ilità`, `-ale`/`-alità`,
  `-ivo`/`-ività` (`sostenibile`/`sostenibilità`, `inclusivo`/`inclusività`);
- a final vowel typed without its accent, and back (`citta`/`città`).
"""

from __future__ import annotations

import re

MIN_LENGTH = 4
VOWELS = "aeio"
ACCENTED = {"a": ("à",), "e": ("è", "é"), "i": ("ì",), "o": ("ò",), "u": ("ù",)}
UNACCENTED = {accented: plain for plain, accents in ACCENTED.items() for accented in accents}
# The adjective's endings and the abstract noun's: sostenibil-e / sostenibil-ità.
ABSTRACT_NOUNS = (("il", ("e", "i")), ("al", ("e", "i")), ("iv", ("o", "a", "e", "i")))
WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of `text`, lower case (an apostrophe or a hyphen splits them)."""
    return WORD.findall(text.lower())


def forms(word: str) -> list[str]:
    """`word` (lower case) and the other forms of it a search should find,
    `word` first; a short word, a number or a word with digits only itself."""
    word = word.lower()
    found = [word]
    if len(word) < MIN_LENGTH or not word.isalpha():
        return found

    def add(form: str) -> None:
        if form not in found:
            found.append(form)

    last = word[-1]
    if last in UNACCENTED:
        add(word[:-1] + UNACCENTED[last])
    if word.endswith(("ità", "ita")):
        base = word[: -len("ità")]
        for stem, endings in ABSTRACT_NOUNS:
            if base.endswith(stem):
                for ending in endings:
                    add(base + ending)
    if last in VOWELS:
        stem = word[:-1]
        for vowel in VOWELS:
            add(stem + vowel)
        if stem.endswith(("ch", "gh")) and last in "ei":
            for vowel in "ao":
                add(stem[:-1] + vowel)
        elif stem.endswith(("c", "g")) and last in "ao":
            for vowel in "ei":
                add(stem + "h" + vowel)
        if word.endswith("io"):
            add(word[:-1])
        elif last == "i" and not word.endswith("ii"):
            add(word + "o")
        for adjective, endings in ABSTRACT_NOUNS:
            if stem.endswith(adjective) and last in endings:
                add(stem + "ità")
        for accent in ACCENTED.get(last, ()):
            add(stem + accent)
    return found
