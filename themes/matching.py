"""Matching comments to seeded themes: a theme's example phrases, stemmed, against a comment's words.

A theme has phrases per language ("wachttijd", "lang wachten"; "waiting time"). Each phrase becomes
its stems (stop words left out); a comment names the theme when every stem of one of its phrases
matches a word of the comment, in any order. A word matches a stem when:
- its own stem is that stem ("wachten" → "wacht", "invoices" → "invoic"), in both languages;
- in Dutch, also when the word is a compound, a past participle or a verb form of it:
  - a compound that starts with it ("wachttijd", "prijsverhoging": at least 3 more letters);
  - a compound that ends with it ("levertijd" for "tijd", "klantenservice" for "service"), unless
    the letters before it end in a verb prefix (be-, ge-, ver-, ont-, her-, er-), which make
    another word ("verwachting" is not "wachten");
  - a past participle: ge- plus the stem ("gewacht", "gefactureerd"), with -t or -d ("gecrasht");
  - a verb's present tense: the stem plus -t ("crasht", "betaalt", "stoort"), which the Snowball
    stemmer leaves as it is.
  Stems of at least 4 letters only, so short stems ("tijd" is 4) do not match inside everything.

The matcher is built once per set of themes and caches what each word matches, so assigning
100,000 comments costs a dictionary look-up for each word seen before.
"""

from dataclasses import dataclass, field

from themes import text

COMPOUND_MIN = 4  # a stem needs this many letters to match inside a compound
COMPOUND_REST = 3  # and the compound this many letters beyond it
VERB_PREFIXES = ("be", "ge", "ver", "ont", "her", "er")


@dataclass
class Matcher:
    """Built from (theme id, {"nl": [phrases], "en": [phrases]}) pairs."""

    themes: list[tuple[int, dict]]
    _phrases: dict = field(default_factory=dict)  # language -> [(theme id, frozenset of stems)]
    _stems: dict = field(default_factory=dict)  # language -> every phrase stem
    _cache: dict = field(default_factory=dict)  # (language, word) -> the phrase stems it matches

    def __post_init__(self):
        for language in text.LANGUAGES:
            phrases = []
            for theme_id, by_language in self.themes:
                for phrase in (by_language or {}).get(language, []):
                    stems = frozenset(text.stems(phrase, language))
                    if stems:
                        phrases.append((theme_id, stems))
            self._phrases[language] = phrases
            self._stems[language] = frozenset().union(*(s for _t, s in phrases)) if phrases else frozenset()

    def word_matches(self, word: str, language: str) -> frozenset:
        """The phrase stems one lower-case word matches (cached)."""
        key = (language, word)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._match(word, language)
        return found

    def _match(self, word: str, language: str) -> frozenset:
        known = self._stems[language]
        if not known:
            return frozenset()
        own = text.stem(word, language)
        found = {own} & known
        if language == "nl":
            found |= _dutch_parts(word, own, known)
        return frozenset(found)

    def themes_for(self, comment: str, language: str) -> set[int]:
        """The ids of the themes the comment names."""
        language = language if language in self._phrases else "en"
        skip = text.stop_words(language)
        matched = set()
        for word in text.words(comment):
            if word not in skip:
                matched |= self.word_matches(word, language)
        if not matched:
            return set()
        return {theme_id for theme_id, stems in self._phrases[language] if stems <= matched}


def _dutch_parts(word: str, own: str, known: frozenset) -> set:
    """The known stems a Dutch word holds as a compound part, a past participle or a verb's
    present tense."""
    found = set()
    if word.startswith("ge") and len(word) > 4:
        participle = text.stem(word[2:], "nl")
        if participle in known:
            found.add(participle)
        elif word[2:] in known:
            found.add(word[2:])
        elif word[2:-1] in known and word.endswith(("t", "d")) and len(word) - 3 >= COMPOUND_MIN:
            found.add(word[2:-1])  # "gecrasht"
    if word.endswith("t") and len(word) - 1 >= COMPOUND_MIN and word[:-1] in known:
        found.add(word[:-1])  # the stem plus -t: "crasht", "betaalt", "stoort" (Snowball keeps the t)
    for form in {word, own}:
        for size in range(COMPOUND_MIN, len(form) - COMPOUND_REST + 1):
            head, tail = form[:size], form[-size:]
            if head in known:
                found.add(head)
            rest = form[:-size]
            if tail in known and not rest.endswith(VERB_PREFIXES):
                found.add(tail)
    return found
