"""Top themes of a set of mentions: hashtags, keywords and two-word phrases, compared with the previous period.

`yake` is not installed (nor in the requirements), so themes are counted simply: hashtags as
written (folded to lower case), words lemmatised with ``simplemma`` in the mention's language
(Finnish or English; others kept as folded words) with stop words left out, and phrases as two
neighbouring kept words. A theme counts once per mention (a post that repeats a word is one
voice). "Rising" means clearly more mentions than in the previous period of the same length.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import simplemma

from smm.lib.textanalysis.text import remove_urls_and_mentions

# The newest mentions read per period: enough for the top themes, bounded for large topics.
SAMPLE = 1000
TOP = 15
MIN_COUNT = 2
RISING_FACTOR = 1.5

_HASHTAG_RE = re.compile(r"(?<!\w)#(\w{2,60})")
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")

_EN_STOP = """a about above after again against all also am an and any are aren't as at be because been before being
        below between both but by can could did do does doing don't down during each few for from further get got
        had has have having he her here hers herself him himself his how i if in into is isn't it it's its itself
        just let like me more most much my myself new no nor not now of off on once one only or other our ours
        ourselves out over own really same she should so some such than that that's the their theirs them
        themselves then there these they this those through to too under until up us very via was we were what
        when where which while who whom why will with would you your yours yourself yourselves 's rt amp"""
_FI_STOP = """ai aina alla ehkä ei eikä eivät emme en enemmän ennen et ette että he heidän heille heitä hän hänen
        häntä ihan itse ja jo johon joka jolla jolle jonka jos jossa josta jota jotka kaikki kanssa kautta
        koska kuin kuinka kuka kun kyllä lisäksi me meidän meille meitä mikä miksi minkä minä minun minua mitä
        mukaan mutta muu muut myös ne niiden niin nyt näin ole olemme olen olet olette oli olivat olla olleet
        ollut on ovat paljon pitää saada se sekä sen siihen siinä siitä sillä sinä sinun sitten sitä suoraan
        taas tai tämä tämän tässä tästä tätä te teidän tuo tuon tähän vaan vai vain voi voida vielä yli yhä
        jotta joten joo no nii niinku siis eli eri koko kerran kun ku mä sä se ne ton tän"""
STOP_WORDS = {"en": frozenset(_EN_STOP.split()), "fi": frozenset(_FI_STOP.split())}


@dataclass(frozen=True)
class Theme:
    text: str
    kind: str  # "hashtag", "keyword", "phrase"
    count: int
    previous: int

    @property
    def rising(self) -> bool:
        return self.count >= MIN_COUNT and self.count >= max(self.previous * RISING_FACTOR, self.previous + 2)

    @property
    def new(self) -> bool:
        return self.previous == 0


@lru_cache(maxsize=50_000)
def _lemma(word: str, language: str) -> str:
    if language in ("fi", "en"):
        try:
            return str(simplemma.lemmatize(word, lang=language)).lower()
        except ValueError:  # pragma: no cover - a language simplemma lacks
            return word
    return word


def _stop(word: str, language: str) -> bool:
    return len(word) < 3 or word in STOP_WORDS["en"] or word in STOP_WORDS["fi"]


def themes_of(text: str, language: str) -> set[tuple[str, str]]:
    """(kind, theme) pairs in one mention's text, each once."""
    found: set[tuple[str, str]] = {("hashtag", "#" + tag.lower()) for tag in _HASHTAG_RE.findall(text)}
    plain = _HASHTAG_RE.sub(" ", remove_urls_and_mentions(text))
    language = (language or "")[:2]
    previous = ""
    for match in _WORD_RE.finditer(plain):
        word = match.group(0).lower()
        if _stop(word, language):
            previous = ""
            continue
        lemma = _lemma(word, language)
        if _stop(lemma, language):
            previous = ""
            continue
        found.add(("keyword", lemma))
        if previous and previous != lemma:
            found.add(("phrase", f"{previous} {lemma}"))
        previous = lemma
    return found


def count_themes(texts: Iterable[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """(text, language) pairs → how many of them carry each theme."""
    counts: Counter[tuple[str, str]] = Counter()
    for text, language in texts:
        counts.update(themes_of(text, language))
    return counts


def top_themes(current: Counter[tuple[str, str]], previous: Counter[tuple[str, str]], *, top: int = TOP) -> list[Theme]:
    """The most frequent themes now (seen at least MIN_COUNT times), each with its previous count.

    A phrase that is only ever seen as its keywords' neighbour is kept; a keyword already shown as
    a phrase is still shown (they answer different questions)."""
    ranked = sorted(
        ((key, count) for key, count in current.items() if count >= MIN_COUNT),
        key=lambda item: (-item[1], item[0][1]),
    )[:top]
    return [
        Theme(text=text, kind=kind, count=count, previous=previous.get((kind, text), 0))
        for (kind, text), count in ranked
    ]
