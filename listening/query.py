"""The topic query language: parse, store, explain and match.

    kahvi* AND (paulig OR "juhla mokka") -tee lang:fi
    #kahvi OR @paulig OR @paulig@mastodon.social OR @paulig.bsky.social

Grammar (a recursive-descent parser; nothing is ever evaluated as code)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          -- terms side by side are ANDed
    unary   := "NOT" unary | "-"unary | primary
    primary := "(" or ")" | "phrase" | #hashtag | @handle | lang:xx | word | word*

Operators are written in capitals (``AND``, ``OR``, ``NOT``); in lower case they are ordinary words.

Matching is case-insensitive and whole-word: text is cut into words (runs of letters and digits),
and ``kahvi`` matches the word "kahvi" but not "kahvila"; ``kahvi*`` matches any word starting
with "kahvi" (kahvi, kahvin, kahvila), which is how Finnish inflection is caught. A quoted phrase
matches those words in that order. A term that itself holds punctuation (``covid-19``,
``example.com``) is the phrase of its words.

Accents are folded (café = cafe, Müller = muller), **except å, ä and ö**: they are letters of
their own in Finnish and Swedish, not accented a and o ("tämä" is not "tama", "säätö" is not
"saato"), so folding them would make Finnish queries match unrelated words.

``@handle`` matches a mention's author or an @mention in its text. ``@paulig`` matches the name on
any server (paulig@mastodon.social, paulig.bsky.social); ``@paulig@mastodon.social`` only that one.

Ingest calls ``compile(node)`` once per topic and ``Matcher.matches(Doc(...))`` per mention; the
``Doc`` precomputes its word set, sorted words, hashtags and handles once, so each topic costs
O(terms) set look-ups (a prefix term is a binary search).
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

MAX_LENGTH = 2000
MAX_DEPTH = 20
MIN_PREFIX = 2
JSON_VERSION = 1

_WORD = re.compile(r"\w+")
_TEXT_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
# @name, @name@server.example, @name.bsky.social (trailing dots are punctuation, not the handle).
_TEXT_HANDLE = re.compile(r"(?<![\w@])@([\w][\w.\-]*(?:@[\w][\w.\-]*)?)")
_HANDLE = re.compile(r"[\w][\w.\-]*(?:@[\w][\w.\-]*)?")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)


class QueryError(ValueError):
    """A query that cannot be parsed; `position` is the 0-based character where the problem is."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return _("%(message)s (at character %(position)s)") % {"message": self.message, "position": self.position + 1}


# Normalising ---------------------------------------------------------------------------------------
class _FoldTable(dict[int, str]):
    """str.translate's table for folding, filled in as characters are first seen: accents dropped
    (NFKD without the combining marks), except from å, ä and ö (see the module docstring)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in "åäö":
            folded = char
        else:
            folded = "".join(part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Case- and accent-folded text (å, ä, ö kept), the form both queries and mentions are compared in."""
    text = unicodedata.normalize("NFC", text).casefold()
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text.translate(_FOLD))


def words(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    return _WORD.findall(fold(text))


def _handle_keys(handle: str) -> set[str]:
    """The forms under which a handle is found: the whole handle and the name without its server."""
    handle = fold(handle.strip()).lstrip("@").rstrip(".")
    if not handle:
        return set()
    keys = {handle}
    name, _at, _server = handle.partition("@")
    keys.add(name)
    if name.endswith(".bsky.social"):
        keys.add(name.removesuffix(".bsky.social"))
    return keys


def _language_key(language: str) -> str:
    return fold(language).replace("_", "-").split("-")[0]


# The tree -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    word: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Hashtag:
    tag: str
    prefix: bool = False


@dataclass(frozen=True)
class Handle:
    handle: str


@dataclass(frozen=True)
class Lang:
    code: str


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Term | Phrase | Hashtag | Handle | Lang | And | Or | Not


# Lexing -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "-", "phrase", "word", "end"
    text: str
    position: int


_OPERATORS = {"AND", "OR", "NOT"}
_LOOKALIKES = {"&&": "AND", "&": "AND", "||": "OR", "|": "OR", "!": "NOT"}


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "()":
            tokens.append(_Token(char, char, index))
            index += 1
        elif char == '"' or char in "“”„":
            end = index + 1
            while end < length and text[end] not in '"“”„':
                end += 1
            if end >= length:
                raise QueryError(_("This quotation mark is never closed."), index)
            tokens.append(_Token("phrase", text[index + 1 : end], index))
            index = end + 1
        elif char == "-" and index + 1 < length and not text[index + 1].isspace():
            tokens.append(_Token("-", "-", index))
            index += 1
        else:
            end = index
            while end < length and not text[end].isspace() and text[end] not in '()"“”„':
                end += 1
            word = text[index:end]
            if word in _OPERATORS:
                tokens.append(_Token(word, word, index))
            elif word in _LOOKALIKES:
                raise QueryError(
                    _("“%(symbol)s” is not an operator here: write %(operator)s.")
                    % {"symbol": word, "operator": _LOOKALIKES[word]},
                    index,
                )
            else:
                tokens.append(_Token("word", word, index))
            index = end
    tokens.append(_Token("end", "", length))
    return tokens


# Parsing ------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.or_(0)
        token = self.current
        if token.kind == ")":
            raise QueryError(_("This closing parenthesis has no opening one."), token.position)
        if token.kind != "end":  # pragma: no cover - or_ consumes everything else
            raise QueryError(_("Unexpected “%(text)s”.") % {"text": token.text}, token.position)
        return node

    def _check_depth(self, depth: int, position: int) -> None:
        if depth > MAX_DEPTH:
            raise QueryError(
                _("The query nests too deep (more than %(limit)s levels).") % {"limit": MAX_DEPTH}, position
            )

    def or_(self, depth: int) -> Node:
        children = [self.and_(depth)]
        while self.current.kind == "OR":
            self.advance()
            children.append(self.and_(depth))
        return children[0] if len(children) == 1 else Or(_flatten(Or, children))

    def and_(self, depth: int) -> Node:
        children = [self.unary(depth)]
        while self.current.kind not in ("OR", ")", "end"):
            if self.current.kind == "AND":
                self.advance()
            children.append(self.unary(depth))
        return children[0] if len(children) == 1 else And(_flatten(And, children))

    def unary(self, depth: int) -> Node:
        token = self.current
        if token.kind in ("NOT", "-"):
            self.advance()
            self._check_depth(depth + 1, token.position)
            following = self.current
            if following.kind in ("end", ")", "OR", "AND"):
                raise QueryError(
                    _("NOT needs something after it to leave out, e.g. NOT tea.")
                    if token.kind == "NOT"
                    else _("A minus needs a word right after it, e.g. -tea."),
                    token.position,
                )
            inner = self.unary(depth + 1)
            return inner.child if isinstance(inner, Not) else Not(inner)  # NOT NOT x is x
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        token = self.advance()
        if token.kind == "(":
            self._check_depth(depth + 1, token.position)
            if self.current.kind == ")":
                raise QueryError(_("These parentheses are empty."), token.position)
            node = self.or_(depth + 1)
            if self.current.kind != ")":
                raise QueryError(_("This parenthesis is never closed."), token.position)
            self.advance()
            return node
        if token.kind == "phrase":
            found = words(token.text.rstrip("*"))
            if not found:
                raise QueryError(_("These quotation marks have no words between them."), token.position)
            return Term(found[0]) if len(found) == 1 else Phrase(tuple(found))
        if token.kind == "word":
            return _word_node(token.text, token.position)
        if token.kind == ")":
            raise QueryError(_("This closing parenthesis has no opening one."), token.position)
        if token.kind == "end":
            raise QueryError(_("The query ends where a word was expected."), token.position)
        # AND or OR where a word should be: "OR kahvi", "kahvi AND OR tee", "(AND x)".
        raise QueryError(
            _("%(operator)s needs a word on both sides.") % {"operator": token.text},
            token.position,
        )


def _flatten(kind: type[And] | type[Or], children: list[Node]) -> tuple[Node, ...]:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return tuple(flat)


def _prefix(text: str, position: int) -> tuple[str, bool]:
    """The word without its trailing *, and whether it had one; a * elsewhere is an error."""
    prefix = text.endswith("*")
    stem = text.rstrip("*")
    if "*" in stem:
        raise QueryError(_("A * may only end a word, as in kahvi*."), position + stem.index("*"))
    return stem, prefix


def _word_node(text: str, position: int) -> Node:
    if text.startswith("#"):
        stem, prefix = _prefix(text[1:], position + 1)
        found = words(stem)
        if len(found) != 1 or fold(stem) != found[0]:
            raise QueryError(_("A hashtag is # and a word, e.g. #coffee."), position)
        if prefix and len(found[0]) < MIN_PREFIX:
            raise QueryError(_("Give at least %(count)s letters before the *.") % {"count": MIN_PREFIX}, position)
        return Hashtag(found[0], prefix)
    if text.startswith("@"):
        handle = text[1:].rstrip(".,;:!?")
        if not _HANDLE.fullmatch(handle):
            raise QueryError(_("A handle is @ and a name, e.g. @acme or @acme@mastodon.social."), position)
        return Handle(fold(handle))
    field_match = _FIELD.fullmatch(text)
    if field_match and not text.startswith(("http:", "https:")):
        name, value = field_match.group(1), field_match.group(2)
        if name.casefold() != "lang":
            raise QueryError(
                _("Unknown operator “%(name)s:”. The only one is lang:, as in lang:fi.") % {"name": name}, position
            )
        code = fold(value)
        if not _LANGUAGE.fullmatch(code):
            raise QueryError(_("lang: needs a language code, e.g. lang:fi or lang:en."), position)
        return Lang(code)
    stem, prefix = _prefix(text, position)
    found = words(stem)
    if not found:
        raise QueryError(_("“%(text)s” has no letters or digits to look for.") % {"text": text}, position)
    if prefix:
        if len(found) > 1:
            raise QueryError(_("A * may only end a single word, as in kahvi*."), position)
        if len(found[0]) < MIN_PREFIX:
            raise QueryError(_("Give at least %(count)s letters before the *.") % {"count": MIN_PREFIX}, position)
        return Term(found[0], prefix=True)
    return Term(found[0]) if len(found) == 1 else Phrase(tuple(found))


def _positive(node: Node) -> bool:
    """Whether the query finds something (rather than only leaving things out)."""
    if isinstance(node, Not):
        return isinstance(node.child, Not) and _positive(node.child.child)
    if isinstance(node, And):
        return any(_positive(child) for child in node.children)
    if isinstance(node, Or):
        return all(_positive(child) for child in node.children)
    return True


def parse(text: str) -> Node:
    """The query's tree; QueryError (with the character position) when it cannot be read."""
    if len(text) > MAX_LENGTH:
        raise QueryError(_("The query is too long (at most %(limit)s characters).") % {"limit": MAX_LENGTH}, MAX_LENGTH)
    if not text.strip():
        raise QueryError(_("Write what to look for, e.g. kahvi* OR coffee."), 0)
    node = _Parser(text).parse()
    if not _positive(node):
        stripped = len(text) - len(text.lstrip())
        raise QueryError(_("The query only leaves things out: add something to find, e.g. coffee NOT tea."), stripped)
    return node


# Storing ------------------------------------------------------------------------------------------
def _node_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Term):
        return {"t": "term", "v": node.word, "p": node.prefix}
    if isinstance(node, Phrase):
        return {"t": "phrase", "v": list(node.words)}
    if isinstance(node, Hashtag):
        return {"t": "hashtag", "v": node.tag, "p": node.prefix}
    if isinstance(node, Handle):
        return {"t": "handle", "v": node.handle}
    if isinstance(node, Lang):
        return {"t": "lang", "v": node.code}
    if isinstance(node, And):
        return {"t": "and", "c": [_node_json(child) for child in node.children]}
    if isinstance(node, Or):
        return {"t": "or", "c": [_node_json(child) for child in node.children]}
    return {"t": "not", "c": [_node_json(node.child)]}


def to_json(node: Node) -> dict[str, Any]:
    """The tree as JSON (stored in Topic.compiled)."""
    return {"version": JSON_VERSION, "query": _node_json(node)}


def _node_from(data: Any, depth: int) -> Node:
    if depth > MAX_DEPTH + 2 or not isinstance(data, dict):
        raise ValueError("bad query JSON")
    kind, value = data.get("t"), data.get("v")
    if kind == "term" and isinstance(value, str):
        return Term(value, bool(data.get("p")))
    if kind == "phrase" and isinstance(value, list) and value and all(isinstance(word, str) for word in value):
        return Phrase(tuple(value))
    if kind == "hashtag" and isinstance(value, str):
        return Hashtag(value, bool(data.get("p")))
    if kind == "handle" and isinstance(value, str):
        return Handle(value)
    if kind == "lang" and isinstance(value, str):
        return Lang(value)
    children = data.get("c")
    if kind in ("and", "or", "not") and isinstance(children, list) and children:
        nodes = tuple(_node_from(child, depth + 1) for child in children)
        if kind == "not":
            return Not(nodes[0])
        return And(nodes) if kind == "and" else Or(nodes)
    raise ValueError("bad query JSON")


def from_json(data: dict[str, Any]) -> Node:
    """The tree stored by to_json; ValueError for anything else (parse the query text again then)."""
    if not isinstance(data, dict) or data.get("version") != JSON_VERSION:
        raise ValueError("bad query JSON")
    return _node_from(data.get("query"), 0)


# Explaining ---------------------------------------------------------------------------------------
def _language_name(code: str) -> str:
    from django.utils.translation import get_language_info

    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _join(parts: list[str], last: str) -> str:
    if len(parts) == 1:
        return parts[0]
    return _("%(first)s %(last)s %(final)s") % {"first": ", ".join(parts[:-1]), "last": last, "final": parts[-1]}


def _say(node: Node, nested: bool = False) -> str:
    if isinstance(node, Term):
        if node.prefix:
            return _("a word starting with “%(word)s”") % {"word": node.word}
        return _("the word “%(word)s”") % {"word": node.word}
    if isinstance(node, Phrase):
        return _("the phrase “%(phrase)s”") % {"phrase": " ".join(node.words)}
    if isinstance(node, Hashtag):
        if node.prefix:
            return _("a hashtag starting with #%(tag)s") % {"tag": node.tag}
        return _("the hashtag #%(tag)s") % {"tag": node.tag}
    if isinstance(node, Handle):
        return _("@%(handle)s (written by them or mentioning them)") % {"handle": node.handle}
    if isinstance(node, Lang):
        return _("written in %(language)s") % {"language": _language_name(node.code)}
    if isinstance(node, Not):
        return _("not %(what)s") % {"what": _say(node.child, True)}
    if isinstance(node, Or):
        text = _join([_say(child, True) for child in node.children], str(_("or")))
        return _("either %(choices)s") % {"choices": text} if nested else text
    text = _say_and(node)
    return _("(%(group)s)") % {"group": text} if nested else text


def _is_language(node: Node) -> bool:
    return isinstance(node, Lang) or (isinstance(node, Not) and isinstance(node.child, Lang))


def _say_and(node: And) -> str:
    positive = [_say(child, True) for child in node.children if not (isinstance(child, Not) or _is_language(child))]
    negative = [
        _say(child.child, True) for child in node.children if isinstance(child, Not) and not _is_language(child)
    ]
    languages = [_say(child, True) for child in node.children if _is_language(child)]
    text = _join(positive, str(_("and"))) if positive else ""
    if negative:
        without = _("without %(what)s") % {"what": _join(negative, str(_("or")))}
        text = _("%(found)s, %(without)s") % {"found": text, "without": without} if text else without
    if languages:
        text = ", ".join([text, *languages]) if text else ", ".join(languages)
    return text


def explain(node: Node) -> str:
    """The query in plain words, for a marketer to check it says what they meant."""
    if isinstance(node, Lang):
        return _("Every mention %(language)s.") % {"language": _say(node)}
    if isinstance(node, And) and all(isinstance(child, Not) or _is_language(child) for child in node.children):
        # Only languages and exclusions, e.g. "lang:fi -tee": every mention of those languages, less some.
        return _("Every mention %(what)s.") % {"what": _say_and(node)}
    return _("Mentions with %(what)s.") % {"what": _say(node)}


# Matching -----------------------------------------------------------------------------------------
@dataclass
class Doc:
    """One mention, prepared once for matching against every topic."""

    text: str
    author_handle: str = ""
    language: str = ""
    hashtags: Iterable[str] = ()
    words: frozenset[str] = field(init=False)
    sorted_words: list[str] = field(init=False)
    padded: str = field(init=False)
    tags: frozenset[str] = field(init=False)
    sorted_tags: list[str] = field(init=False)
    handles: frozenset[str] = field(init=False)
    language_key: str = field(init=False)

    def __post_init__(self) -> None:
        folded = fold(self.text)
        found = _WORD.findall(folded)
        self.words = frozenset(found)
        self.sorted_words = sorted(self.words)
        self.padded = f" {' '.join(found)} "
        tags = set(_TEXT_HASHTAG.findall(folded)) if "#" in folded else set()
        tags.update(word for tag in self.hashtags for word in words(tag.lstrip("#"))[:1])
        self.tags = frozenset(tags)
        self.sorted_tags = sorted(self.tags)
        handles = _handle_keys(self.author_handle) if self.author_handle else set()
        if "@" in folded:
            for mentioned in _TEXT_HANDLE.findall(folded):
                handles |= _handle_keys(mentioned)
        self.handles = frozenset(handles)
        self.language_key = _language_key(self.language) if self.language else ""


def _has_prefix(sorted_values: list[str], prefix: str) -> bool:
    index = bisect.bisect_left(sorted_values, prefix)
    return index < len(sorted_values) and sorted_values[index].startswith(prefix)


Check = Callable[[Doc], bool]


def _compile(node: Node) -> Check:
    if isinstance(node, Term):
        word = node.word
        if node.prefix:
            return lambda doc: _has_prefix(doc.sorted_words, word)
        return lambda doc: word in doc.words
    if isinstance(node, Phrase):
        first, needle = node.words[0], f" {' '.join(node.words)} "
        return lambda doc: first in doc.words and needle in doc.padded
    if isinstance(node, Hashtag):
        tag = node.tag
        if node.prefix:
            return lambda doc: _has_prefix(doc.sorted_tags, tag)
        return lambda doc: tag in doc.tags
    if isinstance(node, Handle):
        handle = node.handle.lstrip("@")
        return lambda doc: handle in doc.handles
    if isinstance(node, Lang):
        code = node.code
        return lambda doc: doc.language_key == code
    if isinstance(node, Not):
        inner = _compile(node.child)
        return lambda doc: not inner(doc)
    children = list(node.children)
    checks: list[Check] = []
    if isinstance(node, Or):
        # Plain words (hashtags, handles) side by side with OR are one set look-up.
        plain = [child.word for child in children if isinstance(child, Term) and not child.prefix]
        tags = [child.tag for child in children if isinstance(child, Hashtag) and not child.prefix]
        handles = [child.handle.lstrip("@") for child in children if isinstance(child, Handle)]
        if len(plain) > 1:
            plain_set = frozenset(plain)
            checks.append(lambda doc: not plain_set.isdisjoint(doc.words))
            children = [child for child in children if not (isinstance(child, Term) and not child.prefix)]
        if len(tags) > 1:
            tag_set = frozenset(tags)
            checks.append(lambda doc: not tag_set.isdisjoint(doc.tags))
            children = [child for child in children if not (isinstance(child, Hashtag) and not child.prefix)]
        if len(handles) > 1:
            handle_set = frozenset(handles)
            checks.append(lambda doc: not handle_set.isdisjoint(doc.handles))
            children = [child for child in children if not isinstance(child, Handle)]
    # Cheap checks first: a set look-up before a phrase scan or a nested group.
    checks.extend(_compile(child) for child in sorted(children, key=_cost))
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        one, other = checks
        if isinstance(node, And):
            return lambda doc: one(doc) and other(doc)
        return lambda doc: one(doc) or other(doc)
    if isinstance(node, And):
        return lambda doc: all(check(doc) for check in checks)
    return lambda doc: any(check(doc) for check in checks)


def _cost(node: Node) -> int:
    if isinstance(node, Term | Hashtag | Handle | Lang):
        return 1 + int(getattr(node, "prefix", False))
    if isinstance(node, Phrase):
        return 3
    if isinstance(node, Not):
        return _cost(node.child)
    return 4 + sum(_cost(child) for child in node.children)


@dataclass(frozen=True)
class Matcher:
    """A query compiled once; `matches(doc)` per mention."""

    node: Node
    check: Check

    def matches(self, doc: Doc) -> bool:
        return self.check(doc)


def compile(node: Node) -> Matcher:  # the name the pipeline calls, like re.compile
    return Matcher(node, _compile(node))


def matches(
    node: Node, *, text: str, author_handle: str = "", language: str = "", hashtags: Iterable[str] = ()
) -> bool:
    """One-off matching (tests, the try page); ingest compiles once and reuses the Doc instead."""
    return compile(node).matches(Doc(text, author_handle, language, hashtags))


# Highlighting -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Highlight:
    """The words to mark in a matching text: exact words, word beginnings, hashtags and handles."""

    words: frozenset[str]
    prefixes: tuple[str, ...]
    handles: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.words or self.prefixes or self.handles)


def _collect(node: Node, into: dict[str, set[str]]) -> None:
    if isinstance(node, Not):
        return  # what a query leaves out is never in a match
    if isinstance(node, Term):
        into["prefixes" if node.prefix else "words"].add(node.word)
    elif isinstance(node, Phrase):
        into["words"].update(node.words)
    elif isinstance(node, Hashtag):
        into["prefixes" if node.prefix else "words"].add(node.tag)
    elif isinstance(node, Handle):
        into["handles"].add(node.handle)
    elif isinstance(node, And | Or):
        for child in node.children:
            _collect(child, into)


def terms_for_highlight(node: Node) -> Highlight:
    """What to mark in a mention the query matched (nothing under NOT)."""
    into: dict[str, set[str]] = {"words": set(), "prefixes": set(), "handles": set()}
    _collect(node, into)
    return Highlight(frozenset(into["words"]), tuple(sorted(into["prefixes"])), frozenset(into["handles"]))


_HIGHLIGHT_TOKEN = re.compile(r"(?<![\w@])@[\w][\w.\-]*(?:@[\w][\w.\-]*)?|\w+")


def highlight(text: str, terms: Highlight) -> SafeString:
    """`text` escaped, with the query's words in <mark>; safe to show (nothing else is HTML)."""
    parts: list[str] = []
    last = 0
    for found in _HIGHLIGHT_TOKEN.finditer(text):
        token = found.group(0)
        if token.startswith("@"):
            hit = bool(_handle_keys(token) & terms.handles)
        else:
            folded = fold(token)
            hit = folded in terms.words or (bool(terms.prefixes) and folded.startswith(terms.prefixes))
        if hit:
            parts.append(html.escape(text[last : found.start()]))
            parts.append(f"<mark>{html.escape(token)}</mark>")
            last = found.end()
    parts.append(html.escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of the text is escaped above
