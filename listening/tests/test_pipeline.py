"""The ingestion pipeline: normalising, the three dedupe kinds, language and sentiment (with
corrections), topic matching stored at ingest, the tsvector per language, inert odd input,
idempotent re-ingest, the correction service and the retention purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from listening import query as q
from listening.models import ListeningSettings, Mention, MentionTopic, SentimentCorrection, Topic
from listening.services import simhash as sh
from listening.services.matching import TopicMatcher, anchors
from listening.services.pipeline import (
    RawItem,
    canonical_url,
    correct_sentiment,
    html_to_text,
    ingest,
    retention_purge,
)
from smm.accounts.models import AuditEvent
from tests.factories import make_user, make_workspace

pytestmark = pytest.mark.django_db

FI_TEXT = "Kiitos nopeasta toimituksesta, olen todella tyytyväinen palveluun ja suosittelen kauppaa kaikille"
EN_TEXT = "Thanks for the quick delivery, I am really happy with the service and recommend the shop to everyone"


def topic(workspace, name: str, query: str, *, active: bool = True) -> Topic:
    return Topic.objects.create(
        workspace=workspace, name=name, query=query, compiled=q.to_json(q.parse(query)), active=active
    )


def item(remote_id: str, text: str = EN_TEXT, **fields) -> RawItem:
    fields.setdefault("published_at", timezone.now())
    return RawItem(network=fields.pop("network", "mastodon"), remote_id=remote_id, text=text, **fields)


@pytest.fixture
def workspace():
    return make_workspace("Kahvila Oy")


# Normalising -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/a/b/?utm_source=x&id=3&fbclid=y#top", "https://news.example.com/a/b?id=3"),
        ("http://example.com:80/", "http://example.com"),
        ("https://example.com:8443/x?gclid=1&UTM_medium=2", "https://example.com:8443/x"),
        ("javascript:alert(1)", ""),
        ("ftp://example.com/file", ""),
        ("not a url", ""),
        ("http://[::1", ""),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_html_to_text_drops_markup_scripts_and_decodes_entities():
    assert html_to_text("<p>a &amp; b</p><script>alert(1)</script><style>p{}</style>c<br>d") == "a & b\nc\nd"


def test_odd_input_is_stored_inert(workspace):
    hostile = RawItem(
        network="web",
        remote_id="x\x00y",
        html='<img src=x onerror="alert(1)"><p>Hei\x00 <b>maailma</b> &lt;script&gt;</p>' + "z" * 20_000,
        title="<i>Otsikko</i>\x07",
        url="javascript:alert(1)",
        author_name="A" * 1000,
        author_followers=-5,
        likes=10**12,
        published_at=datetime(2026, 1, 1),  # noqa: DTZ001 - naive on purpose: read as UTC
    )
    result = ingest(workspace_id=workspace.pk, source=None, items=[hostile])
    assert result.stored == 1
    mention = Mention.objects.get()
    assert mention.remote_id == "x y"
    assert "\x00" not in mention.text and "<img" not in mention.text and "onerror" not in mention.text
    assert mention.text.startswith("Hei maailma <script>")  # the text itself, to be escaped when shown
    assert len(mention.text) == 10_000
    assert mention.title == "Otsikko"
    assert mention.url == "" and mention.canonical_url == ""
    assert len(mention.author_name) == 200
    assert mention.author_followers == 0 and mention.likes == 2**31 - 1
    assert mention.published_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_items_without_text_or_id_are_not_stored(workspace):
    result = ingest(
        workspace_id=workspace.pk,
        source=None,
        items=[item("1", text="  "), item("", text="hello there"), item("2", text="", html="<br><p></p>")],
    )
    assert result.stored == 0 and result.received == 3
    assert not Mention.objects.exists()


# Deduplication ------------------------------------------------------------------------------------
def test_same_network_id_is_a_duplicate_in_the_batch_and_later(workspace):
    first = ingest(workspace_id=workspace.pk, source=None, items=[item("1"), item("1", text="other text here")])
    assert (first.stored, first.duplicates_id) == (1, 1)
    again = ingest(workspace_id=workspace.pk, source=None, items=[item("1", text="changed text entirely now")])
    assert (again.stored, again.duplicates_id) == (0, 1)
    # Another network, or another workspace, is another mention.
    other = ingest(workspace_id=workspace.pk, source=None, items=[item("1", network="bluesky", text="a b c")])
    assert other.stored == 1
    elsewhere = make_workspace("Muu Oy")
    assert ingest(workspace_id=elsewhere.pk, source=None, items=[item("1")]).stored == 1


def test_same_canonical_url_is_a_duplicate(workspace):
    result = ingest(
        workspace_id=workspace.pk,
        source=None,
        items=[
            item("a", "first story about coffee prices", url="https://news.example/story/?utm_source=feed"),
            item("b", "a completely different summary text", url="https://NEWS.example/story#comments"),
        ],
    )
    assert (result.stored, result.duplicates_url) == (1, 1)
    later = ingest(
        workspace_id=workspace.pk,
        source=None,
        items=[item("c", "yet another body", url="https://news.example/story?fbclid=abc")],
    )
    assert (later.stored, later.duplicates_url) == (0, 1)


def test_near_duplicate_text_within_distance_three_is_a_duplicate(workspace):
    base = "Paulig nosti kahvin hintaa taas kerran ja asiakkaat ovat aivan raivoissaan tästä päätöksestä"
    near = base + " https://t.example/abc"  # only a link more: the same words
    changed = base.replace("raivoissaan", "tyytyväisiä").replace("taas", "nyt")
    assert sh.distance(sh.simhash(base), sh.simhash(near)) == 0
    result = ingest(workspace_id=workspace.pk, source=None, items=[item("1", base), item("2", near)])
    assert (result.stored, result.duplicates_text) == (1, 1)
    later = ingest(workspace_id=workspace.pk, source=None, items=[item("3", base.upper())])
    assert (later.stored, later.duplicates_text) == (0, 1)
    # Different enough: stored.
    assert sh.distance(sh.simhash(base), sh.simhash(changed)) > sh.MAX_DISTANCE
    assert ingest(workspace_id=workspace.pk, source=None, items=[item("4", changed)]).stored == 1


def test_near_duplicates_only_within_seven_days_and_not_for_short_texts(workspace):
    text = "Tämä on aivan sama pitkä viesti joka kopioitiin toiseen paikkaan"
    old = timezone.now() - timedelta(days=30)
    assert ingest(workspace_id=workspace.pk, source=None, items=[item("old", text, published_at=old)]).stored == 1
    assert ingest(workspace_id=workspace.pk, source=None, items=[item("new", text)]).stored == 1
    short = ingest(
        workspace_id=workspace.pk, source=None, items=[item("s1", "Kiitos paljon!"), item("s2", "Kiitos paljon!")]
    )
    assert short.stored == 2


def test_band_index_finds_every_hash_within_distance_three():
    value = sh.simhash("one two three four five six seven")
    index = sh.BandIndex([value])
    for bits in ((0,), (5, 21), (1, 30, 63), (16, 32, 48)):
        flipped = value
        for bit in bits:
            flipped ^= 1 << bit
        assert index.near(sh.to_signed(flipped)) == value
    far = value ^ 0b1111
    assert index.near(far) is None


def test_reingesting_the_same_items_is_idempotent(workspace):
    topic(workspace, "Kahvi", "kahvi* OR coffee")
    items = [
        item(str(n), f"coffee number {n} is {'great' if n % 2 else 'awful'} at the new place {n}") for n in range(30)
    ]
    first = ingest(workspace_id=workspace.pk, source=None, items=items)
    assert first.stored == 30 and first.topic_links == 30
    second = ingest(workspace_id=workspace.pk, source=None, items=items)
    assert second.stored == 0 and second.duplicates_id == 30 and second.topic_links == 0
    assert Mention.objects.count() == 30 and MentionTopic.objects.count() == 30


# Language, sentiment and corrections --------------------------------------------------------------
def test_language_detected_or_taken_from_the_hint_and_sentiment_analysed(workspace):
    ingest(
        workspace_id=workspace.pk,
        source=None,
        items=[
            item("fi", FI_TEXT),
            item("en", "The service was terrible and the coffee was cold, never again"),
            item("hint", "Tack för snabb leverans, mycket nöjd med allt", language="sv-SE"),
        ],
    )
    mentions = {mention.remote_id: mention for mention in Mention.objects.all()}
    assert mentions["fi"].language == "fi" and mentions["fi"].sentiment == "positive"
    assert mentions["en"].language == "en" and mentions["en"].sentiment == "negative"
    assert mentions["hint"].language == "sv"
    assert not mentions["fi"].sentiment_corrected


def test_a_correction_wins_for_the_same_text_later(workspace):
    user = make_user()
    month_ago = timezone.now() - timedelta(days=30)  # out of the near-duplicate window
    ingest(workspace_id=workspace.pk, source=None, items=[item("1", FI_TEXT, published_at=month_ago)])
    mention = Mention.objects.get()
    assert mention.sentiment == "positive"
    topic(workspace, "Kauppa", "kauppa*")
    correct_sentiment(mention=mention, to="negative", user=user)  # sarcasm, say
    # The same text again (other case, another link) is stored with the correction.
    ingest(workspace_id=workspace.pk, source=None, items=[item("2", FI_TEXT.upper() + " https://x.example/1")])
    again = Mention.objects.get(remote_id="2")
    assert again.sentiment == "negative" and again.sentiment_corrected
    assert MentionTopic.objects.get(mention=again).sentiment == "negative"


def test_correct_sentiment_updates_mention_links_and_audits(workspace):
    user = make_user()
    topic(workspace, "Palvelu", "palvelu*")
    ingest(workspace_id=workspace.pk, source=None, items=[item("1", FI_TEXT)])
    mention = Mention.objects.get()
    correction = correct_sentiment(mention=mention, to="neutral", user=user)
    mention.refresh_from_db()
    assert mention.sentiment == "neutral" and mention.sentiment_corrected
    assert correction.from_sentiment == "positive" and correction.corrected_by == user
    assert list(MentionTopic.objects.values_list("sentiment", flat=True)) == ["neutral"]
    event = AuditEvent.objects.get(action="mention_sentiment_corrected")
    assert event.workspace == workspace and event.data == {"from": "positive", "to": "neutral"}
    with pytest.raises(ValidationError):
        correct_sentiment(mention=mention, to="furious", user=user)
    assert SentimentCorrection.objects.count() == 1


# Topics --------------------------------------------------------------------------------------------
def test_every_active_topic_is_matched_and_stored(workspace):
    brand = topic(workspace, "Brand", "paulig OR @paulig")
    coffee = topic(workspace, "Coffee fi", "kahvi* lang:fi")
    tag = topic(workspace, "Tag", "#kahvi")
    not_tea = topic(workspace, "No tea", "coffee NOT tea")
    topic(workspace, "Inactive", "kahvi*", active=False)
    result = ingest(
        workspace_id=workspace.pk,
        source=None,
        items=[
            item("1", "Paulig kahvia aamulla, parasta mitä tiedän #kahvi", language="fi"),
            item("2", "coffee and tea for breakfast", language="en"),
            item("3", "coffee only for me please", author_handle="@paulig@mastodon.example", language="en"),
            item("4", "nothing to see here at all", language="en"),
        ],
    )
    assert result.stored == 4
    links = {(link.mention.remote_id, link.topic_id) for link in MentionTopic.objects.select_related("mention")}
    assert links == {("1", brand.pk), ("1", coffee.pk), ("1", tag.pk), ("3", brand.pk), ("3", not_tea.pk)}
    assert result.topic_links == 5
    link = MentionTopic.objects.get(mention__remote_id="3", topic=brand)
    assert link.published_at == link.mention.published_at and link.workspace_id == workspace.pk


def test_anchors_skip_only_topics_that_cannot_match():
    assert anchors(q.parse("coffee NOT tea")) == {("w", "coffee")}
    assert anchors(q.parse("NOT tea coffee*")) == {("p", "coffee")}
    assert anchors(q.parse('a OR "b c" OR #d OR @e')) == {("w", "a"), ("w", "b"), ("t", "d"), ("h", "e")}
    assert anchors(q.parse("a OR (b NOT c)")) == {("w", "a"), ("w", "b")}
    assert anchors(q.Or((q.Term("a"), q.Not(q.Term("d"))))) is None  # parse() refuses it; run always
    assert anchors(q.parse("lang:fi")) == {("l", "fi")}


def test_topic_with_an_unparsable_stored_query_matches_nothing(workspace):
    broken = Topic.objects.create(workspace=workspace, name="Broken", query="(", compiled={})
    everything = Topic.objects.create(workspace=workspace, name="Old", query="kahvi OR tee", compiled={})
    matcher = TopicMatcher([broken, everything])
    assert matcher.match("", "kahvi on hyvää", "", "fi") == [everything.pk]


# Storage and full text -----------------------------------------------------------------------------
def test_tsvector_uses_the_configuration_of_the_language(workspace):
    ingest(
        workspace_id=workspace.pk,
        source=None,
        items=[
            item("fi", "Olemme tyytyväisiä palveluun ja kahviloihin", language="fi"),
            item("en", "We loved the services and the coffees", language="en"),
            item("sv", "Vi älskar kaffet", language="sv"),
        ],
    )

    def found(config: str, word: str) -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT remote_id FROM listening_mention WHERE search @@ to_tsquery(%s::regconfig, %s)", [config, word]
            )
            return {row[0] for row in cursor.fetchall()}

    assert found("finnish", "palvelu") == {"fi"}  # "palveluun" by its base form
    assert found("english", "service") == {"en"}
    assert found("simple", "kaffet") == {"sv"}
    assert found("simple", "palveluun") == set()  # the Finnish row holds stems, not the words as written


def test_source_and_batches(workspace, monkeypatch):
    from listening.models import Source
    from listening.services import pipeline

    monkeypatch.setattr(pipeline, "BATCH_SIZE", 7)
    source = Source.objects.create(workspace=workspace, kind=Source.Kind.FEED, name="Feed")
    items = [item(str(n), f"post number {n} about something else entirely {n}") for n in range(20)]
    result = ingest(workspace_id=workspace.pk, source=source, items=items)
    assert result.stored == 20 and len(result.mention_ids) == 20
    assert Mention.objects.filter(source=source).count() == 20


# Retention ----------------------------------------------------------------------------------------
def test_retention_purge_deletes_only_old_mentions_of_the_workspace(workspace):
    topic(workspace, "All", "post")
    other = make_workspace("Muu Oy")
    now = timezone.now()
    ingest(
        workspace_id=workspace.pk,
        source=None,
        items=[item("old", "post old one here", published_at=now - timedelta(days=40)), item("new", "post new one")],
    )
    ingest(
        workspace_id=other.pk, source=None, items=[item("old", "post old one", published_at=now - timedelta(days=40))]
    )
    assert retention_purge(workspace_id=workspace.pk) == 0  # default: a year
    ListeningSettings.objects.create(workspace=workspace, retention_days=30)
    assert retention_purge(workspace_id=workspace.pk, chunk=1) == 1
    assert list(Mention.objects.filter(workspace=workspace).values_list("remote_id", flat=True)) == ["new"]
    assert Mention.objects.filter(workspace=other).count() == 1
    assert MentionTopic.objects.count() == 1


def test_a_link_only_mention_can_be_corrected(workspace):
    user = make_user()
    ingest(workspace_id=workspace.pk, source=None, items=[item("1", "https://x.example/a")])
    mention = Mention.objects.get()
    correct_sentiment(mention=mention, to="negative", user=user)
    assert SentimentCorrection.objects.get().normalised_text == ""
    ingest(workspace_id=workspace.pk, source=None, items=[item("2", "https://y.example/b")])
    assert not Mention.objects.get(remote_id="2").sentiment_corrected
