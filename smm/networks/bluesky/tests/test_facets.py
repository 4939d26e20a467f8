"""Facets carry UTF-8 byte offsets; every expected number here was counted by hand."""

from __future__ import annotations

from smm.networks.bluesky.facets import as_tuples, detect_facets, first_link

DIDS = {"alice.test": "did:plc:alice", "bob.example.com": "did:plc:bob"}


def resolve(handle: str) -> str | None:
    return DIDS.get(handle)


def slices(text: str) -> list[str]:
    encoded = text.encode()
    return [encoded[start:end].decode() for start, end, _kind, _value in as_tuples(detect_facets(text, resolve))]


def test_it_counts_bytes_for_finnish_letters_and_emoji():
    text = "Hyvää päivää! #kesä ja @alice.test 👋🏽 https://example.fi/ä?x=1."
    # "Hyvää päivää! " is 19 bytes (ä = 2); the waving hand with a skin tone is 8.
    assert as_tuples(detect_facets(text, resolve)) == [
        (19, 25, "tag", "kesä"),
        (29, 40, "mention", "did:plc:alice"),
        (50, 75, "link", "https://example.fi/ä?x=1"),
    ]
    assert slices(text) == ["#kesä", "@alice.test", "https://example.fi/ä?x=1"]


def test_it_counts_combining_characters_as_their_own_bytes():
    text = "Cafe\u0301 #cafe\u0301 @Alice.test"
    # "Café " with a combining acute accent (2 bytes) is 7 bytes; the tag is "#café" = 7 bytes.
    assert as_tuples(detect_facets(text, resolve)) == [
        (7, 14, "tag", "cafe\u0301"),
        (15, 26, "mention", "did:plc:alice"),
    ]


def test_it_leaves_unresolvable_mentions_as_plain_text():
    text = "hi @nobody.test and @alice.test"
    assert as_tuples(detect_facets(text, resolve)) == [(20, 31, "mention", "did:plc:alice")]


def test_it_resolves_each_handle_once():
    asked: list[str] = []

    def counting(handle: str) -> str | None:
        asked.append(handle)
        return DIDS.get(handle)

    detect_facets("@alice.test @ALICE.test @alice.test", counting)
    assert asked == ["alice.test"]


def test_it_handles_flags_parentheses_and_numeric_tags():
    text = "🇫🇮 #Suomi100 (https://yle.fi/uutiset) #123 #a1"
    # A flag is two regional indicators of 4 bytes each; "#123" is all digits, so not a tag.
    assert as_tuples(detect_facets(text, resolve)) == [
        (9, 18, "tag", "Suomi100"),
        (20, 42, "link", "https://yle.fi/uutiset"),
        (49, 52, "tag", "a1"),
    ]


def test_it_links_bare_domains_with_a_known_top_level_domain_only():
    text = "see example.com, and file.txt and www.hs.fi/x"
    assert as_tuples(detect_facets(text, resolve)) == [
        (4, 15, "link", "https://example.com"),
        (34, 45, "link", "https://www.hs.fi/x"),
    ]


def test_it_handles_zwj_sequences_and_full_width_hash_signs():
    text = "👨‍👩‍👧 @bob.example.com: #tag!!! #ＴＡＧ ＃full"
    # The family emoji is 3 emoji (4 bytes each) joined by 2 zero-width joiners (3 bytes each).
    assert as_tuples(detect_facets(text, resolve)) == [
        (19, 35, "mention", "did:plc:bob"),
        (37, 41, "tag", "tag"),
        (45, 55, "tag", "ＴＡＧ"),
        (56, 63, "tag", "full"),
    ]


def test_it_ignores_emails_and_cashtags():
    assert detect_facets("$AAPL mail me@alice.test", resolve) == []


def test_it_leaves_mentions_out_without_a_resolver():
    assert as_tuples(detect_facets("@alice.test #x")) == [(12, 14, "tag", "x")]


def test_it_finds_the_first_link_for_the_card():
    facets = detect_facets("#a https://one.example/ then https://two.example/", resolve)
    assert first_link(facets) == "https://one.example/"
    assert first_link(detect_facets("#only tags", resolve)) is None
