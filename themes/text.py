"""Comment text, the way every part of Kringloop reads it: its language (Dutch or English), its
words, and their stems.

- The language is detected from the text itself (lingua, restricted to Dutch and English, in its
  low-accuracy mode: trigram models only, about 10 MB and ~50 µs a comment). A text too short to
  tell ("ok", "prima") gets the language it was answered in instead.
- Words are runs of letters, lower-cased; digits and punctuation separate them.
- Stems come from the Snowball stemmers (snowballstemmer: Dutch and English), cached per word, so
  "wachten" and "wacht", "invoices" and "invoice" become one stem.
- Stop words come from the stop-words package (its Dutch and English lists).

Nothing here touches the database; the detector is built on first use, so a process that never
reads a comment (the web server) never loads its models.
"""

import re
import threading
from functools import lru_cache

import snowballstemmer
from lingua import Language, LanguageDetectorBuilder
from stop_words import get_stop_words

LANGUAGES = ("nl", "en")
CONFIDENT = 0.75  # below this the language the answer was given in wins
_WORD = re.compile(r"[^\W\d_]+")
_STEMMER_NAMES = {"nl": "dutch", "en": "english"}
_local = threading.local()  # Snowball stemmers are not thread-safe: one per thread
_detector = None
_detector_lock = threading.Lock()


def words(text: str) -> list[str]:
    """The words of a text, lower-cased, in order."""
    return _WORD.findall(text.lower())


def _stemmer(language: str):
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {code: snowballstemmer.stemmer(name) for code, name in _STEMMER_NAMES.items()}
    return stemmers[language if language in stemmers else "en"]


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """The Snowball stem of one lower-case word in `language` ("nl" or "en")."""
    return _stemmer(language).stemWord(word)


@lru_cache(maxsize=4)
def stop_words(language: str) -> frozenset:
    """The language's stop words (the stop-words package), lower-case."""
    return frozenset(w.lower() for w in get_stop_words(_STEMMER_NAMES.get(language, "english")))


def stems(text: str, language: str, *, keep_stop_words: bool = False) -> list[str]:
    """The stems of a text's words, stop words left out unless asked for."""
    skip = frozenset() if keep_stop_words else stop_words(language)
    return [stem(w, language) for w in words(text) if w not in skip and len(w) > 1]


def _get_detector():
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                _detector = (
                    LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH)
                    .with_low_accuracy_mode()
                    .build()
                )
    return _detector


def detect_language(text: str, answered_in: str = "") -> str:
    """ "nl" or "en": the comment's language when the detector is confident, else the language the
    answer was given in (when it is one of the two), else English."""
    fallback = answered_in if answered_in in LANGUAGES else "en"
    if not words(text):
        return fallback
    values = _get_detector().compute_language_confidence_values(text)
    if not values or values[0].value < CONFIDENT:
        return fallback
    return "nl" if values[0].language.name == "DUTCH" else "en"
