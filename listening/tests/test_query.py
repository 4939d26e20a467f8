"""The topic query language: parsing (and its errors, with positions), storing, explaining, matching
and highlighting. No database."""

from __future__ import annotations

import pytest
from django.utils import translation

from listening import query as q
from listening.query import And, Handle, Hashtag, Lang, Not, Or, Phrase, QueryError, Term


def parse_error(text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        q.parse(text)
    return caught.value


def m(query: str, text: str, *, author: str = "", language: str = "", hashtags: tuple[str, ...] = ()) -> bool:
    return q.matches(q.parse(query), text=text, author_handle=author, language=language, hashtags=hashtags)


# Parsing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("kahvi", Term("kahvi")),
        ("  Kahvi  ", Term("kahvi")),
        ("kahvi*", Term("kahvi", prefix=True)),
        ("kahvi tee", And((Term("kahvi"), Term("tee")))),
        ("kahvi AND tee", And((Term("kahvi"), Term("tee")))),
        ("kahvi OR tee", Or((Term("kahvi"), Term("tee")))),
        ("kahvi OR tee OR mehu", Or((Term("kahvi"), Term("tee"), Term("mehu")))),
        # AND binds tighter than OR.
        ("a b OR c", Or((And((Term("a"), Term("b"))), Term("c")))),
        ("a OR b c", Or((Term("a"), And((Term("b"), Term("c")))))),
        ("(a OR b) c", And((Or((Term("a"), Term("b"))), Term("c")))),
        ("a AND (b AND c)", And((Term("a"), Term("b"), Term("c")))),
        ("kahvi NOT tee", And((Term("kahvi"), Not(Term("tee"))))),
        ("kahvi -tee", And((Term("kahvi"), Not(Term("tee"))))),
        ("kahvi -(tee OR mehu)", And((Term("kahvi"), Not(Or((Term("tee"), Term("mehu"))))))),
        ("kahvi NOT NOT tee", And((Term("kahvi"), Term("tee")))),
        ("kahvi --tee", And((Term("kahvi"), Term("tee")))),
        ('"juhla mokka"', Phrase(("juhla", "mokka"))),
        ("“juhla mokka”", Phrase(("juhla", "mokka"))),
        ('"Paulig"', Term("paulig")),
        ("#Kahvi", Hashtag("kahvi")),
        ("#kahvi*", Hashtag("kahvi", prefix=True)),
        ("@Paulig", Handle("paulig")),
        ("@paulig@mastodon.social", Handle("paulig@mastodon.social")),
        ("@paulig.bsky.social", Handle("paulig.bsky.social")),
        ("@paulig.", Handle("paulig")),
        ("lang:fi", Lang("fi")),
        ("LANG:EN", Lang("en")),
        ("kahvi lang:fi", And((Term("kahvi"), Lang("fi")))),
        # Punctuation inside a word makes a phrase of its parts.
        ("covid-19", Phrase(("covid", "19"))),
        ("example.com", Phrase(("example", "com"))),
        ("https://example.com/a", Phrase(("https", "example", "com", "a"))),
        ("12:30", Phrase(("12", "30"))),
        # Operators are capitals; in lower case they are words.
        ("kahvi or tee", And((Term("kahvi"), Term("or"), Term("tee")))),
        # Accents fold, Finnish letters do not.
        ("Café", Term("cafe")),
        ("Müller", Term("muller")),
        ("Äänekoski", Term("äänekoski")),
        ("Åbo", Term("åbo")),
        ("ＫＡＨＶＩ", Term("kahvi")),  # full-width letters
        ("straße", Term("strasse")),
        ("日本", Term("日本")),
    ],
)
def test_it_parses(text: str, tree: q.Node) -> None:
    assert q.parse(text) == tree


@pytest.mark.parametrize(
    ("text", "position", "says"),
    [
        ("", 0, "Write what to look for"),
        ("   \n\t ", 0, "Write what to look for"),
        ("(kahvi", 0, "never closed"),
        ("kahvi (tee OR (mehu)", 6, "never closed"),
        ("kahvi)", 5, "no opening"),
        (")", 0, "no opening"),
        ("()", 0, "empty"),
        ("kahvi ()", 6, "empty"),
        ('"kahvi', 0, "quotation mark"),
        ('kahvi "tee', 6, "quotation mark"),
        ('""', 0, "no words"),
        ("NOT", 0, "NOT needs"),
        ("kahvi NOT", 6, "NOT needs"),
        ("kahvi NOT OR tee", 6, "NOT needs"),
        ("kahvi -", 6, "no letters"),
        ("NOT kahvi", 0, "only leaves things out"),
        ("-kahvi", 0, "only leaves things out"),
        ("  -kahvi -tee", 2, "only leaves things out"),
        ("kahvi OR -tee", 0, "only leaves things out"),
        ("AND kahvi", 0, "AND needs a word"),
        ("kahvi OR", 8, "ends where"),
        ("kahvi AND", 9, "ends where"),
        ("kahvi AND OR tee", 10, "OR needs a word"),
        ("kahvi OR OR tee", 9, "OR needs a word"),
        ("kahvi && tee", 6, "write AND"),
        ("kahvi || tee", 6, "write OR"),
        ("kahvi ! tee", 6, "write NOT"),
        ("author:paulig", 0, "Unknown operator “author:”"),
        ("kahvi site:paulig.fi", 6, "Unknown operator"),
        ("lang:", 0, "language code"),
        ("lang:finnish", 0, "language code"),
        ("lang:f1", 0, "language code"),
        ("ka*hvi", 2, "may only end"),
        ("kah*vi*", 3, "may only end"),
        ("k*", 0, "at least 2"),
        ("*", 0, "no letters"),
        ("covid-19*", 0, "single word"),
        ("#", 0, "hashtag"),
        ("#kahvi-tauko", 0, "hashtag"),
        ("#k*", 0, "at least 2"),
        ("@", 0, "handle"),
        ("@@x", 0, "handle"),
        ("!!!", 0, "no letters"),
        ("🙂", 0, "no letters"),
    ],
)
def test_it_says_what_is_wrong_and_where(text: str, position: int, says: str) -> None:
    error = parse_error(text)
    assert says in error.message
    assert error.position == position
    assert str(error).endswith(f"(at character {position + 1})")


def test_it_refuses_a_query_that_is_too_long() -> None:
    q.parse(" OR ".join(["kahvi"] * 222))  # 1,998 characters
    error = parse_error("kahvi " * 400)
    assert error.position == q.MAX_LENGTH and "too long" in error.message


@pytest.mark.parametrize("opening", ["(", "NOT ", "-"])
def test_it_refuses_a_query_nested_too_deep(opening: str) -> None:
    closing = ")" if opening == "(" else ""
    depth = q.MAX_DEPTH
    q.parse("kahvi " + opening * (depth - 1) + "tee" + closing * (depth - 1))
    error = parse_error("kahvi " + opening * 100 + "tee" + closing * 100)
    assert "too deep" in error.message
    assert error.position == 6 + len(opening) * depth


def test_it_survives_odd_input() -> None:
    for text in ["\x00", "a\x00b", "((((", "))))", '"""', "-" * 50, "OR " * 100, "NOT " * 100, "\u200b", "\ufeffx"]:
        try:
            q.parse(text)
        except QueryError as error:
            assert 0 <= error.position <= len(text)
    assert q.parse("a\x00b") == Phrase(("a", "b"))
    assert q.parse("\ufeffx") == Term("x")


def test_it_parses_a_long_flat_query_quickly_enough_to_not_recurse() -> None:
    """Breadth is not depth: a thousand words side by side are one AND, not a thousand levels."""
    node = q.parse(" ".join(f"w{n}" for n in range(400)))
    assert isinstance(node, And) and len(node.children) == 400


# Storing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        'kahvi* AND (paulig OR "juhla mokka") -tee lang:fi',
        "#kahvi* OR @paulig@mastodon.social OR NOT NOT x",
        "a",
    ],
)
def test_it_stores_and_restores_the_tree(text: str) -> None:
    import json

    node = q.parse(text)
    stored = json.loads(json.dumps(q.to_json(node)))
    assert q.from_json(stored) == node


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": 99, "query": {"t": "term", "v": "x"}},
        {"version": 1, "query": {"t": "eval", "v": "x"}},
        {"version": 1, "query": {"t": "and", "c": []}},
        {"version": 1, "query": {"t": "term", "v": 5}},
        {"version": 1, "query": "kahvi"},
        {"version": 1, "query": {"t": "phrase", "v": []}},
        {"version": 1, "query": {"t": "not", "c": [{"t": "not", "c": [{"t": "not", "c": [{"t": "x"}]}]}]}},
    ],
)
def test_it_refuses_stored_json_it_did_not_write(data: dict) -> None:
    with pytest.raises(ValueError, match="bad query JSON"):
        q.from_json(data)


# Explaining ---------------------------------------------------------------------------------------
def test_it_explains_the_query_in_words() -> None:
    with translation.override("en"):
        said = q.explain(q.parse('kahvi* AND (paulig OR "juhla mokka") -tee lang:fi'))
    assert said == (
        "Mentions with a word starting with “kahvi” and either the word “paulig” or the phrase “juhla mokka”, "
        "without the word “tee”, written in Finnish."
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("kahvi", "Mentions with the word “kahvi”."),
        ("kahvi OR tee OR mehu", "Mentions with the word “kahvi”, the word “tee” or the word “mehu”."),
        ("#kahvi", "Mentions with the hashtag #kahvi."),
        ("@paulig", "Mentions with @paulig (written by them or mentioning them)."),
        ("lang:en", "Every mention written in English."),
        ("a -b -c", "Mentions with the word “a”, without the word “b” or the word “c”."),
        ("(a b) OR c", "Mentions with (the word “a” and the word “b”) or the word “c”."),
        ("kahvi -lang:en", "Mentions with the word “kahvi”, not written in English."),
        ("lang:fi -tee", "Every mention without the word “tee”, written in Finnish."),
    ],
)
def test_it_explains_each_part(text: str, said: str) -> None:
    with translation.override("en"):
        assert q.explain(q.parse(text)) == said


def test_the_explanation_is_translated() -> None:
    with translation.override("fi"):
        finnish = q.explain(q.parse("kahvi"))
    with translation.override("en"):
        english = q.explain(q.parse("kahvi"))
    assert "kahvi" in finnish and "kahvi" in english


# Matching -----------------------------------------------------------------------------------------
def test_a_word_matches_whole_words_only() -> None:
    assert m("kahvi", "Hyvää kahvi!")
    assert m("kahvi", "KAHVI on hyvää")
    assert not m("kahvi", "Kahvila on auki")
    assert not m("kahvi", "Juon kahvia")
    assert not m("tee", "teetä ja pullaa")


def test_a_prefix_catches_finnish_inflection() -> None:
    for text in ["Kahvi", "kahvin hinta", "Kahvila avattiin", "kahvikupillinen", "(kahvia)"]:
        assert m("kahvi*", text), text
    assert not m("kahvi*", "pikakahvi on pahaa")  # a prefix is the word's beginning, not any part
    assert not m("kahvi*", "kahv")


def test_a_phrase_matches_its_words_in_order() -> None:
    assert m('"juhla mokka"', "Juhla Mokka, aina.")
    assert m('"juhla mokka"', "juhla-mokka")
    assert m('"juhla mokka"', "Ostin juhla\n mokkaa ja juhla mokka")
    assert not m('"juhla mokka"', "mokka juhla")
    assert not m('"juhla mokka"', "juhla ja mokka")
    assert not m('"juhla mokka"', "juhlamokka")


def test_a_hashtag_matches_hashtags_only() -> None:
    assert m("#kahvi", "Aamu #kahvi")
    assert m("#kahvi", "#Kahvi!")
    assert not m("#kahvi", "Aamun kahvi")
    assert not m("#kahvi", "#kahvila")
    assert m("#kahvi*", "#kahvila")
    assert m("#kahvi", "no tag in the text", hashtags=("#Kahvi",))
    assert m("kahvi", "Aamu #kahvi")  # a word is found in a hashtag too


def test_a_handle_matches_the_author_or_a_mention() -> None:
    assert m("@paulig", "hello", author="@paulig@mastodon.social")
    assert m("@paulig", "hello", author="paulig.bsky.social")
    assert m("@paulig", "kiitos @Paulig!")
    assert m("@paulig", "kiitos @paulig@mastodon.social.")
    assert m("@paulig.bsky.social", "hi", author="paulig.bsky.social")
    assert m("@paulig@mastodon.social", "hi", author="@Paulig@Mastodon.Social")
    assert not m("@paulig@mastodon.social", "hi", author="@paulig@other.example")
    assert not m("@paulig", "paulig without an at sign")
    assert not m("@paulig", "mail info@paulig.fi")
    assert not m("@paulig", "hi", author="pauligfan")


def test_lang_matches_the_mentions_language() -> None:
    assert m("kahvi lang:fi", "kahvi", language="fi")
    assert m("kahvi lang:fi", "kahvi", language="fi-FI")
    assert not m("kahvi lang:fi", "kahvi", language="en")
    assert not m("kahvi lang:fi", "kahvi", language="")
    assert m("lang:en", "anything", language="EN")


def test_not_leaves_out() -> None:
    assert m("kahvi -tee", "kahvi ja pulla")
    assert not m("kahvi -tee", "kahvi ja tee")
    assert m("kahvi -tee", "kahvi ja teetä")
    assert not m("kahvi NOT (tee OR mehu)", "kahvi ja mehu")
    assert m("kahvi NOT NOT tee", "kahvi ja tee")
    assert not m("kahvi NOT NOT tee", "kahvi")


def test_and_or_and_groups() -> None:
    query = 'kahvi* AND (paulig OR "juhla mokka") -tee lang:fi'
    assert m(query, "Kahvila myy Juhla Mokkaa ja juhla mokka on hyvää", language="fi")
    assert m(query, "Paulig kahvit", language="fi")
    assert not m(query, "Paulig kahvit", language="en")
    assert not m(query, "Paulig kahvit ja tee", language="fi")
    assert not m(query, "Paulig", language="fi")
    assert m("a b OR c", "c")
    assert not m("a b OR c", "a")


def test_matching_folds_case_and_accents_but_not_finnish_letters() -> None:
    assert m("cafe", "CAFÉ Helsinki")
    assert m("café", "cafe helsinki")
    assert m("säätö", "SÄÄTÖ")
    assert not m("saato", "säätö")
    assert not m("säätö", "saato")
    assert m("åbo", "ÅBO Akademi")
    assert not m("abo", "Åbo")


def test_a_doc_is_prepared_once_for_many_topics() -> None:
    doc = q.Doc("Kahvila @Paulig #Aamu", author_handle="@fan@mastodon.example", language="fi")
    matchers = [q.compile(q.parse(text)) for text in ["kahvi*", "@paulig", "#aamu", "@fan", "lang:fi", "tee"]]
    assert [matcher.matches(doc) for matcher in matchers] == [True, True, True, True, True, False]
    assert doc.tags == frozenset({"aamu"})
    assert {"paulig", "fan", "fan@mastodon.example"} <= doc.handles


# Highlighting -------------------------------------------------------------------------------------
def test_it_lists_what_to_highlight_without_what_is_left_out() -> None:
    terms = q.terms_for_highlight(q.parse('kahvi* "juhla mokka" #aamu @paulig -tee lang:fi'))
    assert terms.words == frozenset({"juhla", "mokka", "aamu"})
    assert terms.prefixes == ("kahvi",)
    assert terms.handles == frozenset({"paulig"})


def test_it_highlights_escaped_text() -> None:
    terms = q.terms_for_highlight(q.parse("kahvi* OR @paulig OR cafe"))
    marked = q.highlight('<script>alert("x")</script> Kahvila & @Paulig: CAFÉ', terms)
    assert marked == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>Kahvila</mark> &amp; <mark>@Paulig</mark>: "
        "<mark>CAFÉ</mark>"
    )
    assert q.highlight("<b>nothing</b>", terms) == "&lt;b&gt;nothing&lt;/b&gt;"
