"""Finnish sentiment: a lexicon of lemmas with valences, read through simplemma, with rules.

How a text is scored, in the spirit of VADER (Hutto & Gilbert 2014), adapted to Finnish:

1. URLs and @mentions go; a hashtag keeps its word. The text is split into sentences, words,
   emoji and emoticons.
2. Each word is looked up as written, then by its simplemma lemma ("hyvää", "hyvän" → "hyvä"),
   then in a standard-language spelling of a colloquial ending ("huonoo" → "huonoa", "surkee"
   → "surkea"), then, for a hyphenated word, by its last part.
3. Compounds, mildly: a word simplemma does not know is split, and if its head (the last part, as
   Finnish compounds go: "palvelu|surkea", "tuki|painajainen") or, failing that, its first part
   ("huippu|palvelu", "paska|firma") is in the lexicon, the word gets 0.8 of that valence. Words
   simplemma knows are never split, so "asiakaspalvelu" stays neutral and "hyväksyä" is not "hyvä"
   (known compounds whose head matters, like "sähkökatko", are lexicon entries or fall back to
   neutral). The prefix "epä-" turns praise into blame: "epäselkeä", "epärehellinen".
4. An intensifier just before a sentiment word scales it ("todella hyvä", "erittäin huono");
   a word that is both ("hyvin", "kamalan", "hirveän") is an intensifier when a sentiment word
   follows and keeps its own valence otherwise. "ihan" softens praise ("ihan ok") and sharpens
   blame ("ihan kamala"). Dampeners ("aika", "melko", "vähän") scale below one.
5. Negation: a negation verb form ("ei", "en", "et", "emme", "ette", "eivät", "eikä", ...), "älä"
   or "ilman" up to four words before a sentiment word, in the same clause, flips it: praise by
   -0.75 ("ei ole hyvä" is negative) and blame by only -0.4, so "ei ole huono" is mildly positive.
   A few verbs are neutral alone and negative only when negated ("ei toimi", "ei vastaa",
   "ei kannata"); they have their own valence for that case.
6. In a sentence with "mutta", words before it count half and words after it one and a half
   times; a "vaikka" (although) clause counts half.
7. A sentiment word in capitals in a text that is not all capitals adds 0.733 in its direction,
   and each "!" (up to four) adds 0.292 in the direction of the whole, as in VADER.
8. The sum is squashed into [-1, 1] with VADER's x / sqrt(x² + 15), and labelled with ±0.05.

Emoji and emoticons take their valence from the shared emoji lexicon; negation and intensifiers
do not touch them. Lemmas and word valences are cached (functools.lru_cache), which is what keeps
the analyser fast: a customer-service vocabulary repeats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Final, Literal

import regex
import simplemma

from smm.lib.textanalysis.lexicon import load_lexicon
from smm.lib.textanalysis.sentiment import Sentiment, normalise_sum
from smm.lib.textanalysis.symbols import emoticon_pattern, symbol_valence
from smm.lib.textanalysis.text import EMOJI_RE, remove_urls_and_mentions

LEXICON_FILE: Final = "fi_lexicon.tsv"

NEGATORS: Final = frozenset(
    {
        # the negation verb in every person, with the clitics -kä ("and not"), -pä and -hän
        *("ei", "en", "et", "emme", "ette", "eivät"),
        *("eikä", "enkä", "etkä", "emmekä", "ettekä", "eivätkä"),
        *("eipä", "enpä", "eihän", "enhän", "muttei", "mutten"),
        # the imperative negation, and "without"
        *("älä", "älkää", "älköön", "ilman"),
        # "lakata" (to stop) negates the verb after it: "lakkasi toimimasta" is "ei enää toimi".
        # As written, since simplemma reads these forms as the noun "lakka" (varnish).
        *("lakkaa", "lakkasi", "lakkasivat", "lakannut", "lakanneet", "lakkaisi"),
    }
)
NEGATION_WINDOW: Final = 4  # words: "ei ole kyllä kovin hyvä" reaches "hyvä"
NEGATED_PRAISE: Final = -0.75
NEGATED_BLAME: Final = -0.4  # "ei huono" is mildly positive, not as positive as "hyvä"

# Neutral alone, negative when negated: lemma (or a form simplemma leaves as it is) → valence then.
NEGATED_VALENCE: Final[Mapping[str, float]] = {
    "toimia": -2.0,
    "vastata": -1.5,
    "vastaus": -1.2,
    "tulla": -1.0,
    "saapua": -1.3,
    "saapunut": -1.3,
    "kuulua": -1.2,
    "onnistua": -1.8,
    "auttaa": -1.5,
    "auttanut": -1.5,
    "apu": -1.2,
    "palvella": -1.5,
    "pitää": -1.5,
    "kannattaa": -1.8,
    "suositella": -2.3,
    "soittaa": -1.0,
    "ilmoittaa": -1.0,
    "kertoa": -0.8,
    "korjata": -1.3,
    "korjattu": -1.3,
    "saada": -0.8,
    "riittää": -1.0,
    "kelvata": -1.5,
    "löytyä": -0.8,
    "pystyä": -0.8,
    "päästä": -0.8,
    "jaksaa": -1.0,
    "ymmärtää": -0.8,
    # "ilman selitystä", "eikä mitään tiedotusta"
    "selitys": -1.0,
    "tiedotus": -1.0,
    "ilmoitus": -0.8,
}

# Set phrases whose sentiment words mean nothing (greetings, "the best way to", "best before"):
# (first word as written, second word's lemma). Both words then count as neutral.
NEUTRAL_PHRASES: Final = frozenset(
    {
        ("hyvää", "päivä"),
        ("hyvää", "huomen"),
        ("hyvää", "ilta"),
        ("hyvä", "asiakas"),
        ("hyvät", "asiakas"),
        ("parasta", "ennen"),
        ("paras", "tapa"),
        ("parhaan", "tapa"),
        ("parhaiten", "tapa"),
    }
)

# Word as written → factor on the next sentiment word. Below one dampens.
INTENSIFIERS: Final[Mapping[str, float]] = {
    "todella": 1.4,
    "tosi": 1.3,
    "erittäin": 1.5,
    "aivan": 1.3,
    "hyvin": 1.3,
    "niin": 1.2,
    "kovin": 1.2,
    "liian": 1.3,
    "super": 1.4,
    "täysin": 1.4,
    "erityisen": 1.3,
    "varsin": 1.1,
    "suorastaan": 1.3,
    "kerrassaan": 1.3,
    "ehdottomasti": 1.2,
    "ylivoimaisesti": 1.4,
    "äärimmäisen": 1.6,
    "uskomattoman": 1.5,
    "älyttömän": 1.5,
    "mielettömän": 1.5,
    "järjettömän": 1.5,
    "sairaan": 1.5,
    "hirveän": 1.4,
    "hirmuisen": 1.4,
    "kauhean": 1.4,
    "kamalan": 1.4,
    "tavattoman": 1.4,
    "hiton": 1.4,
    "helvetin": 1.5,
    "vitun": 1.6,
    "melkoisen": 1.2,
    "aika": 0.8,
    "melko": 0.8,
    "kohtalaisen": 0.7,
    "suhteellisen": 0.8,
    "jokseenkin": 0.7,
    "vähän": 0.7,
    "hieman": 0.6,
    "hiukan": 0.6,
    "lähes": 0.8,
}
# "ihan ok" is lukewarm, "ihan kamala" is worse than "kamala".
IHAN_PRAISE: Final = 0.85
IHAN_BLAME: Final = 1.3

CONTRAST: Final = frozenset({"mutta", "mut", "muttei", "mutten"})
BEFORE_CONTRAST: Final = 0.5
AFTER_CONTRAST: Final = 1.5
CONCESSIVE: Final = frozenset({"vaikka"})
IN_CONCESSIVE: Final = 0.5
# Words that start a new clause: negation does not reach past them.
CLAUSE_STARTERS: Final = frozenset({*CONTRAST, *CONCESSIVE, "vaan", "kun", "koska", "että", "jos", "joten", "sillä"})

CAPS_INCREMENT: Final = 0.733
EXCLAMATION_INCREMENT: Final = 0.292
MAX_EXCLAMATIONS: Final = 4
COMPOUND_FACTOR: Final = 0.8
MIN_COMPOUND_PART: Final = 4  # letters in the part that carries the sentiment
MIN_COMPOUND_REST: Final = 3  # letters in the other part
# Lexicon words that end many words which are not compounds of them: the causative "-auttaa"
# ("palauttaa", to return), "kirkastua", "gynekologinen", "sonni". Never taken as a head.
NOT_COMPOUND_HEADS: Final = frozenset({"auttaa", "kastua", "ekologinen", "onni", "lempi"})
# "epä-" negates what follows: "epäkohtelias", "epärehellinen", "epäselkeä".
NEGATIVE_PREFIX: Final = "epä"

_BACK_VOWELS: Final = frozenset("aou")


@dataclass(frozen=True, slots=True)
class Token:
    kind: Literal["word", "symbol", "clause", "sentence"]
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()


@cache
def _token_re() -> regex.Pattern[str]:
    return regex.compile(
        rf"(?P<symbol>{emoticon_pattern()}|{EMOJI_RE.pattern})"
        r"|#?(?P<word>\p{L}+(?:[-'’]\p{L}+)*)"
        r"|(?P<sentence>[.!?…]+|\n)"
        r"|(?P<clause>[,;:()\"“”«»–—]+|\s-\s)"
    )


def tokenize(text: str) -> list[Token]:
    """Words (hashtags without '#'), emoji and emoticons, and clause and sentence boundaries."""
    tokens: list[Token] = []
    for match in _token_re().finditer(remove_urls_and_mentions(text)):
        kind = match.lastgroup
        if kind == "word":
            tokens.append(Token("word", match.group("word")))
        elif kind in ("symbol", "clause", "sentence"):
            tokens.append(Token(kind, match.group()))
    return tokens


def sentences(tokens: list[Token]) -> list[list[Token]]:
    """Tokens grouped into sentences; each sentence keeps its closing punctuation token."""
    grouped: list[list[Token]] = [[]]
    for token in tokens:
        grouped[-1].append(token)
        if token.kind == "sentence":
            grouped.append([])
    return [sentence for sentence in grouped if sentence]


def lexicon() -> Mapping[str, float]:
    return load_lexicon(LEXICON_FILE)


@lru_cache(maxsize=100_000)
def lemma(word: str) -> str:
    """simplemma's Finnish lemma of a lower-case word (a few lemmas in its data end with '.')."""
    return simplemma.lemmatize(word, lang="fi").rstrip(".")


@lru_cache(maxsize=100_000)
def _is_known(word: str) -> bool:
    return bool(simplemma.is_known(word, lang="fi"))


def _colloquial_to_standard(word: str) -> str | None:
    """The standard partitive for a spoken long-vowel ending: "huonoo" → "huonoa", "surkee" → "surkea"."""
    if len(word) < 5 or word[-1] != word[-2] or word[-1] not in "eouöy":
        return None
    return word[:-1] + _harmonic_a(word)


def _harmonic_a(word: str) -> str:
    """Vowel harmony: "a" for a word with a back vowel, "ä" for one with only front or neutral vowels."""
    return "a" if _BACK_VOWELS & set(word) else "ä"


def _verb_of(word: str) -> str | None:
    """The verb behind a form simplemma leaves as it is, for regular verbs.

    A past participle: "heikentynyt" → "heikentyä"; a verbal noun: "valittaminen" → "valittaa".
    """
    if len(word) > 6 and word.endswith(("nut", "nyt")) and word[-4] in "aeiouyäö":
        return word[:-3] + _harmonic_a(word)
    if len(word) > 7 and word.endswith("minen"):
        return word[:-5] + _harmonic_a(word)
    return None


def _direct_valence(word: str) -> float | None:
    """The valence of a lower-case word as written or by its lemma, without any splitting."""
    entries = lexicon()
    if word in entries:
        return entries[word]
    base = lemma(word)
    if base in entries:
        return entries[base]
    verb = _verb_of(base)
    if verb is not None and verb in entries:
        return entries[verb]
    return None


def _compound_valence(word: str) -> float | None:
    """0.8 of the valence of the head (or else the first part) of a compound simplemma does not know.

    The word as written is split, not simplemma's lemma: for a word outside its dictionary
    simplemma may give the first part ("laskutusvirhe" → "laskutus").
    """
    if len(word) < MIN_COMPOUND_PART + MIN_COMPOUND_REST or _is_known(word):
        return None
    # The longest head first: "palvelusurkea" tries "alvelusurkea", ... before "surkea".
    for start in range(MIN_COMPOUND_REST, len(word) - MIN_COMPOUND_PART + 1):
        valence = _direct_valence(word[start:])
        if valence is not None and lemma(word[start:]) not in NOT_COMPOUND_HEADS:
            return COMPOUND_FACTOR * valence
    entries = lexicon()  # first parts are stems as written ("huippu", "paska"), so no lemmatizing
    for end in range(len(word) - MIN_COMPOUND_REST, MIN_COMPOUND_PART - 1, -1):
        if word[:end] in entries:
            return COMPOUND_FACTOR * entries[word[:end]]
    return None


@lru_cache(maxsize=100_000)
def word_valence(word: str) -> float | None:
    """The valence of a lower-case word, or None when it carries no sentiment."""
    valence = _direct_valence(word)
    if valence is not None:
        return valence
    standard = _colloquial_to_standard(word)
    if standard is not None:
        valence = _direct_valence(standard)
        if valence is not None:
            return valence
    if "-" in word:
        return word_valence(word.rsplit("-", 1)[1])
    if word.startswith(NEGATIVE_PREFIX) and len(word) >= len(NEGATIVE_PREFIX) + MIN_COMPOUND_PART:
        valence = _direct_valence(word[len(NEGATIVE_PREFIX) :])
        if valence is not None and valence > 0:
            return -valence
    return _compound_valence(word)


def _negated_valence(word: str) -> float | None:
    if word in NEGATED_VALENCE:
        return NEGATED_VALENCE[word]
    return NEGATED_VALENCE.get(lemma(word))


def _is_intensifying(words: list[Token], index: int) -> bool:
    """Whether the word at `index` acts as an intensifier: it is one, and a sentiment word follows."""
    if words[index].lower not in INTENSIFIERS and words[index].lower != "ihan":
        return False
    for following in words[index + 1 : index + 3]:
        if following.kind != "word":
            return False
        if word_valence(following.lower) is not None:
            return True
        if following.lower not in INTENSIFIERS:
            return False
    return False


def _intensity(words: list[Token], index: int, valence: float) -> float:
    """The product of the intensifiers right before the word at `index` (stacked ones too)."""
    factor = 1.0
    position = index - 1
    while position >= 0 and words[position].kind == "word":
        word = words[position].lower
        if word == "ihan":
            factor *= IHAN_PRAISE if valence > 0 else IHAN_BLAME
        elif word in INTENSIFIERS:
            factor *= INTENSIFIERS[word]
        else:
            break
        position -= 1
    return factor


def _is_negated(words: list[Token], index: int) -> bool:
    """Whether a negator stands up to NEGATION_WINDOW words before `index` in the same clause."""
    position, seen = index - 1, 0
    while position >= 0 and seen < NEGATION_WINDOW:
        token = words[position]
        if token.kind != "word" or token.lower in CLAUSE_STARTERS:
            return token.lower in NEGATORS  # "muttei" both starts a clause and negates
        if token.lower in NEGATORS:
            return True
        position, seen = position - 1, seen + 1
    return False


def _neutral_phrase_positions(sentence: list[Token]) -> set[int]:
    """The indexes of the words that make up a NEUTRAL_PHRASES phrase in the sentence."""
    positions: set[int] = set()
    for index in range(len(sentence) - 1):
        first, second = sentence[index], sentence[index + 1]
        if first.kind == second.kind == "word" and (first.lower, lemma(second.lower)) in NEUTRAL_PHRASES:
            positions.update((index, index + 1))
    return positions


def _sentence_scores(sentence: list[Token], all_caps_text: bool) -> list[float]:
    """One score for each sentiment-bearing token of a sentence, before "mutta" weighting."""
    scores: list[float] = []
    in_phrase = _neutral_phrase_positions(sentence)
    for index, token in enumerate(sentence):
        if index in in_phrase:
            scores.append(0.0)
            continue
        if token.kind == "symbol":
            scores.append(symbol_valence(token.text))
            continue
        if token.kind != "word" or _is_intensifying(sentence, index):
            scores.append(0.0)
            continue
        word = token.lower
        negated = _is_negated(sentence, index)
        if negated:
            replacement = _negated_valence(word)
            if replacement is not None:  # "ei toimi", "en suosittele": a valence of their own
                scores.append(replacement)
                continue
        valence = word_valence(word)
        if valence is None:
            scores.append(0.0)
            continue
        valence *= _intensity(sentence, index, valence)
        if token.text.isupper() and len(token.text) > 1 and not all_caps_text:
            valence += CAPS_INCREMENT if valence > 0 else -CAPS_INCREMENT
        if negated:
            valence *= NEGATED_PRAISE if valence > 0 else NEGATED_BLAME
        scores.append(valence)
    return scores


def _weighted(sentence: list[Token], scores: list[float]) -> float:
    """The sentence's sum with "mutta" (the last one) and "vaikka" clause weighting."""
    contrast = max((i for i, token in enumerate(sentence) if token.lower in CONTRAST), default=None)
    total, in_concessive = 0.0, False
    for index, (token, score) in enumerate(zip(sentence, scores, strict=True)):
        if token.lower in CONCESSIVE:
            in_concessive = True
        elif token.kind == "clause" or token.lower in CONTRAST:
            in_concessive = False
        weight = IN_CONCESSIVE if in_concessive else 1.0
        if contrast is not None:
            weight *= BEFORE_CONTRAST if index < contrast else AFTER_CONTRAST
        total += weight * score
    return total


def score(text: str) -> float:
    """The compound score of a Finnish text, from -1 to 1."""
    tokens = tokenize(text)
    letters = [character for character in text if character.isalpha()]
    all_caps_text = bool(letters) and all(character.isupper() for character in letters)
    total = 0.0
    for sentence in sentences(tokens):
        total += _weighted(sentence, _sentence_scores(sentence, all_caps_text))
    if total:
        exclamations = min(text.count("!"), MAX_EXCLAMATIONS)
        total += exclamations * EXCLAMATION_INCREMENT * (1 if total > 0 else -1)
    return normalise_sum(total)


def analyse(text: str) -> Sentiment:
    """The sentiment of a Finnish text."""
    return Sentiment.from_score(score(text))
