"""Guidelines and word rules: the team's policy text, and words or phrases to avoid.

Words match whole words, in any case, and tolerate inflection: each word is reduced to its
Snowball stem in Finnish and in English, and a phrase matches a run of words whose stems match.
Stemming is approximate (Finnish consonant gradation: "halpa" and "halvin" stem differently), so
the rules page suggests adding an inflected form as its own rule when it matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import nh3
import regex
import snowballstemmer
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from collaboration.models import Guidelines, WordRule
from smm.accounts.models import User, Workspace

WORD = regex.compile(r"[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*")
_STEMMERS = {language: snowballstemmer.stemmer(language) for language in ("finnish", "english")}

# What the guidelines' rich text may contain (everything else is removed by nh3).
POLICY_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "a",
    "div",
}
POLICY_ATTRIBUTES = {"a": {"href", "title"}}


@lru_cache(maxsize=20_000)
def _stems(word: str) -> frozenset[str]:
    lowered = word.casefold()
    return frozenset({lowered, *(stemmer.stemWord(lowered) for stemmer in _STEMMERS.values())})


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(match.group(0), match.start(), match.end()) for match in WORD.finditer(text)]


@dataclass(frozen=True)
class WordHit:
    rule: WordRule
    found: str  # the words as written in the text

    @property
    def banned(self) -> bool:
        return self.rule.level == WordRule.Level.BANNED

    @property
    def message(self) -> str:
        values = {"found": self.found, "phrase": self.rule.phrase, "note": self.rule.note}
        if self.banned:
            text = _("“%(found)s” is on this workspace's list of banned words (%(phrase)s).") % values
        else:
            text = _("“%(found)s”: take care with this word (%(phrase)s).") % values
        return f"{text} {self.rule.note}".strip() if self.rule.note else text


def find_words(text: str, rules: list[WordRule]) -> list[WordHit]:
    """Every rule that matches somewhere in `text`, with the words as written there (once per rule)."""
    words = _words(text)
    word_stems = [_stems(word) for word, _start, _end in words]
    hits: list[WordHit] = []
    for rule in rules:
        phrase = [_stems(word) for word, _start, _end in _words(rule.phrase)]
        if not phrase:
            continue
        for index in range(len(words) - len(phrase) + 1):
            if all(word_stems[index + offset] & phrase[offset] for offset in range(len(phrase))):
                start, end = words[index][1], words[index + len(phrase) - 1][2]
                hits.append(WordHit(rule, text[start:end]))
                break
    return hits


def word_hits(*, workspace_id: int, texts: list[str]) -> list[WordHit]:
    """The workspace's rules that match any of the texts (a post's main and per-network texts)."""
    rules = list(WordRule.objects.filter(workspace_id=workspace_id))
    if not rules:
        return []
    seen: set[int] = set()
    hits: list[WordHit] = []
    for text in texts:
        for hit in find_words(text, rules):
            if hit.rule.pk not in seen:
                seen.add(hit.rule.pk)
                hits.append(hit)
    return sorted(hits, key=lambda hit: (not hit.banned, hit.rule.phrase))


def word_rule_create(*, workspace: Workspace, phrase: str, level: str, note: str = "") -> WordRule:
    phrase = " ".join(phrase.split())
    if not _words(phrase):
        raise ValidationError(_("Write a word or a phrase."))
    rule = WordRule(workspace=workspace, phrase=phrase, level=level, note=note)
    rule.full_clean(exclude=["workspace"], validate_unique=False)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as error:
        raise ValidationError(_("“%(phrase)s” is already on the list.") % {"phrase": phrase}) from error
    return rule


def word_rule_delete(*, rule: WordRule) -> None:
    rule.delete()


def sanitize_policy(html: str) -> str:
    """The guidelines' rich text with only harmless formatting left; links get rel=noopener nofollow."""
    return nh3.clean(
        html,
        tags=POLICY_TAGS,
        attributes=POLICY_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def guidelines_update(
    *, workspace: Workspace, actor: User, policy_html: str, voice: str, disclosures: str
) -> Guidelines:
    guidelines, _created = Guidelines.objects.get_or_create(workspace=workspace)
    guidelines.policy_html = sanitize_policy(policy_html)
    guidelines.voice = voice
    guidelines.disclosures = disclosures
    guidelines.updated_by = actor
    guidelines.save()
    return guidelines
