"""Matching a batch of mentions against every active topic of a workspace, at ingest.

Each topic's query is compiled once (``listening.query.compile``). With a thousand topics, running
every matcher on every mention would cost a thousand calls a mention, so each topic is indexed by
its *anchors*: a set of words (or word beginnings, hashtags, handles, languages) of which a
matching mention must contain at least one. A mention then runs only the matchers of topics whose
anchors it contains (plus the few topics without anchors, which are always run). The matcher
still decides: anchors only skip topics that cannot match.

Anchors of a query: a term, phrase, hashtag, handle or lang: is its own anchor (a phrase by its
first word); OR needs every side anchored (their union); AND takes its smallest anchored side;
NOT has none (``tea NOT coffee`` is anchored by ``tea``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from listening import query as q
from listening.models import Topic

logger = logging.getLogger(__name__)

Anchor = tuple[str, str]  # ("w", word) | ("p", prefix) | ("t", tag) | ("tp", tag prefix) | ("h", handle) | ("l", lang)


def anchors(node: q.Node) -> frozenset[Anchor] | None:
    """Anchors such that every matching mention holds at least one, or None when there are none."""
    if isinstance(node, q.Term):
        return frozenset({("p" if node.prefix else "w", node.word)})
    if isinstance(node, q.Phrase):
        return frozenset({("w", node.words[0])})
    if isinstance(node, q.Hashtag):
        return frozenset({("tp" if node.prefix else "t", node.tag)})
    if isinstance(node, q.Handle):
        return frozenset({("h", node.handle.lstrip("@"))})
    if isinstance(node, q.Lang):
        return frozenset({("l", node.code)})
    if isinstance(node, q.Or):
        union: set[Anchor] = set()
        for child in node.children:
            found = anchors(child)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if isinstance(node, q.And):
        options = [found for found in (anchors(child) for child in node.children) if found is not None]
        return min(options, key=len) if options else None
    return None  # NOT


def topic_node(topic: Topic) -> q.Node | None:
    """The topic's stored tree, else its query parsed again; None (and a log line) when unreadable."""
    try:
        return q.from_json(topic.compiled)
    except ValueError:
        pass
    try:
        return q.parse(topic.query)
    except q.QueryError:
        logger.warning("listening: topic %s has a query that does not parse; it matches nothing", topic.pk)
        return None


@dataclass(frozen=True)
class _Compiled:
    topic_id: int
    matcher: q.Matcher


class TopicMatcher:
    """The active topics of one workspace, compiled and indexed once; ``match`` per mention."""

    def __init__(self, topics: Iterable[Topic]) -> None:
        self.index: dict[Anchor, list[_Compiled]] = {}
        self.always: list[_Compiled] = []
        self.prefix_lengths: set[int] = set()
        self.tag_prefix_lengths: set[int] = set()
        self.count = 0
        for topic in topics:
            node = topic_node(topic)
            if node is None:
                continue
            compiled = _Compiled(topic.pk, q.compile(node))
            self.count += 1
            found = anchors(node)
            if found is None:
                self.always.append(compiled)
                continue
            for anchor in found:
                self.index.setdefault(anchor, []).append(compiled)
                if anchor[0] == "p":
                    self.prefix_lengths.add(len(anchor[1]))
                elif anchor[0] == "tp":
                    self.tag_prefix_lengths.add(len(anchor[1]))

    def candidates(self, doc: q.Doc) -> dict[int, _Compiled]:
        found: dict[int, _Compiled] = {compiled.topic_id: compiled for compiled in self.always}
        index = self.index
        keys: list[Anchor] = [("w", word) for word in doc.words]
        keys.extend(("t", tag) for tag in doc.tags)
        keys.extend(("h", handle) for handle in doc.handles)
        if doc.language_key:
            keys.append(("l", doc.language_key))
        for length in self.prefix_lengths:
            keys.extend(("p", word[:length]) for word in doc.words if len(word) >= length)
        for length in self.tag_prefix_lengths:
            keys.extend(("tp", tag[:length]) for tag in doc.tags if len(tag) >= length)
        for key in keys:
            for compiled in index.get(key, ()):
                found[compiled.topic_id] = compiled
        return found

    def match(self, title: str, text: str, author_handle: str, language: str) -> list[int]:
        """The ids of the topics whose query matches this mention."""
        if not self.count:
            return []
        doc = q.Doc(f"{title}\n{text}" if title else text, author_handle, language)
        return sorted(topic_id for topic_id, compiled in self.candidates(doc).items() if compiled.matcher.matches(doc))
