"""CSV import: every clean row becomes a scheduled post at the right instant, or nothing is imported."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from publishing.models import Campaign, CsvImport, Label, MediaAsset, Post, Target
from publishing.services import imports
from smm.accounts.models import AccountLevel, AccountPermission
from smm.networks.models import ConnectedAccount
from tests.factories import make_account
from tests.fixtures import Personas
from tests.peers.mastodon import Reply, ScriptedServer

NOW = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)
HELSINKI = "Europe/Helsinki"
Status = CsvImport.Status


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Frozen at 1 March 2030: Helsinki moves to summer time on 31 March 2030 at 03:00."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def bluesky(personas: Personas) -> ConnectedAccount:
    return make_account(personas.workspace, "acme.bsky.social", network="bluesky")


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    server = ScriptedServer().start()
    yield server
    server.stop()


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (32, 24), "teal").save(output, format="PNG")
    return output.getvalue()


def csv_bytes(*rows: str, header: str = "text,accounts,time", encoding: str = "utf-8") -> bytes:
    return "\r\n".join([header, *rows]).encode(encoding)


def upload(personas: Personas, capture, content: bytes, *, zone: str = HELSINKI, user: str = "editor") -> CsvImport:
    """Upload through the service and run the check (the task runs eagerly on commit)."""
    membership = personas.membership(getattr(personas, user))
    with capture(execute=True):
        created = imports.csv_import_create(
            membership=membership, file=SimpleUploadedFile("posts.csv", content), zone=zone
        )
    created.csv_import.refresh_from_db()
    return created.csv_import


def run(personas: Personas, csv_import: CsvImport, *, user: str = "editor") -> CsvImport:
    return imports.csv_import_run(membership=personas.membership(getattr(personas, user)), csv_import=csv_import)


def messages_of(csv_import: CsvImport) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for error in csv_import.errors:
        found.setdefault(error["row"], []).append(error["message"])
    return found


# The whole way through the pages -------------------------------------------------------------------
def test_it_imports_fifty_posts_for_two_accounts_at_the_right_instants(
    client, personas: Personas, bluesky: ConnectedAccount, django_capture_on_commit_callbacks
) -> None:
    zone = ZoneInfo(HELSINKI)
    rows, expected = [], {}
    for number in range(50):
        # Two a day from 20 March to 13 April: across the night Helsinki goes to summer time.
        local = datetime(2030, 3, 20, 9) + timedelta(days=number // 2, hours=6 * (number % 2))  # noqa: DTZ001
        written = f"{local:%Y-%m-%d %H:%M}" if number % 2 else f"{local.day}.{local.month}.{local.year} {local.hour}.00"
        rows.append(f'"Post number {number}, with a comma",@acme@mastodon.example;acme.bsky.social,{written}')
        expected[f"Post number {number}, with a comma"] = local.replace(tzinfo=zone).astimezone(UTC)
    client.force_login(personas.editor)
    url = reverse("publishing:import", args=[personas.workspace.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile("plan.csv", csv_bytes(*rows)), "timezone": HELSINKI})
    csv_import = CsvImport.objects.get()
    detail_url = reverse("publishing:import-detail", args=[personas.workspace.slug, csv_import.pk])
    assert response["Location"] == detail_url
    page = client.get(detail_url).content.decode()
    assert "Read “plan.csv” as UTF-8: 50 rows." in page
    csv_import.refresh_from_db()
    assert (csv_import.status, csv_import.total_rows, csv_import.checked_rows) == (Status.READY, 50, 50)
    assert csv_import.errors == []
    assert 'id="row-51"' in page

    response = client.post(reverse("publishing:import-run", args=[personas.workspace.slug, csv_import.pk]), follow=True)
    page = response.content.decode()
    assert "50 posts were scheduled." in page
    assert reverse("publishing:calendar", args=[personas.workspace.slug]) in page
    csv_import.refresh_from_db()
    assert (csv_import.status, csv_import.posts_created, csv_import.content) == (Status.IMPORTED, 50, "")
    assert csv_import.imported_at == NOW
    assert Post.objects.filter(source=Post.Source.CSV, author=personas.editor).count() == 50
    targets = Target.objects.select_related("post", "account")
    assert targets.count() == 100
    for target in targets:
        assert target.status == Target.Status.SCHEDULED
        assert target.scheduled_at == target.due_at == expected[target.post.text]
        assert target.timezone == HELSINKI
    # Both sides of the change to summer time: 09:00 is 07:00 UTC in winter, 06:00 UTC in summer.
    assert expected["Post number 20, with a comma"] == datetime(2030, 3, 30, 7, 0, tzinfo=UTC)
    assert expected["Post number 22, with a comma"] == datetime(2030, 3, 31, 6, 0, tzinfo=UTC)
    assert {t.account for t in targets.filter(post__text="Post number 22, with a comma")} == {
        personas.account,
        bluesky,
    }


def test_it_reads_an_excel_file_with_semicolons_in_windows_1252(
    client, personas: Personas, django_capture_on_commit_callbacks
) -> None:
    content = csv_bytes(
        "Hyvää huomenta, Tampere! Kahvi 2 €;@acme@mastodon.example;2.4.2030 klo 9.30",
        header=" Teksti ;TILIT;Aika;Huomio",
        encoding="cp1252",
    )
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    client.force_login(personas.editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("publishing:import", args=[personas.workspace.slug]),
            {"file": SimpleUploadedFile("excel.csv", content), "timezone": HELSINKI},
        )
    page = client.get(response["Location"]).content.decode()
    assert "Windows-1252" in page
    assert "Huomio" in page  # the column smm does not use is named
    csv_import = CsvImport.objects.get()
    assert csv_import.status == Status.READY, csv_import.errors
    assert csv_import.rows[0]["text"] == "Hyvää huomenta, Tampere! Kahvi 2 €"
    assert csv_import.rows[0]["local"] == "2030-04-02T09:30:00"


def test_it_reads_utf8_with_a_byte_order_mark(personas: Personas, django_capture_on_commit_callbacks) -> None:
    content = b"\xef\xbb\xbf" + csv_bytes("Päivää,@acme@mastodon.example,2030-04-02 09:30")
    csv_import = upload(personas, django_capture_on_commit_callbacks, content)
    assert csv_import.status == Status.READY, csv_import.errors
    assert csv_import.rows[0]["text"] == "Päivää"
    assert imports.csv_decode(content).encoding == "utf-8-sig"


def test_it_skips_excels_separator_line(personas: Personas, django_capture_on_commit_callbacks) -> None:
    content = b"sep=;\r\ntext;accounts;time\r\nHello, world;@acme@mastodon.example;2030-04-02 09:30\r\n"
    csv_import = upload(personas, django_capture_on_commit_callbacks, content)
    assert csv_import.status == Status.READY, (csv_import.error, csv_import.errors)
    assert (csv_import.rows[0]["row"], csv_import.rows[0]["text"]) == (3, "Hello, world")


def test_it_reads_tab_separated_files_and_multiline_texts(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    content = b'text\taccounts\ttime\n"First line\nsecond line"\t@acme@mastodon.example\t2030-04-02 09:30\n'
    csv_import = upload(personas, django_capture_on_commit_callbacks, content)
    assert csv_import.status == Status.READY, csv_import.errors
    assert csv_import.rows[0]["text"] == "First line\nsecond line"


# Errors tied to rows -------------------------------------------------------------------------------
GOOD = "Fine post,@acme@mastodon.example,2030-04-02 09:30"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",@acme@mastodon.example,2030-04-02 09:30", "The text is empty."),
        ("Hello,@nobody@mastodon.example,2030-04-02 09:30", "“@nobody@mastodon.example” is not a connected account"),
        ("Hello,,2030-04-02 09:30", "No accounts."),
        ("Hello,@acme@mastodon.example,31.2.2030 9.00", "There is no such day or time as “31.2.2030 9.00”."),
        ("Hello,@acme@mastodon.example,next Tuesday", "“next Tuesday” is not a time smm understands."),
        ("Hello,@acme@mastodon.example,", "The time is empty."),
        ("Hello,@acme@mastodon.example,2030-02-28 09:00", "has already passed."),
        (f"{'x' * 301},acme.bsky.social,2030-04-02 09:30", "1 character too long for Bluesky (300 at most)."),
        ("Hello,@acme@mastodon.example,2030-04-02 09:30,extra", "more values than the file has columns"),
    ],
)
def test_each_bad_row_gets_its_error_and_nothing_is_imported(
    personas: Personas, bluesky: ConnectedAccount, django_capture_on_commit_callbacks, row: str, message: str
) -> None:
    csv_import = upload(personas, django_capture_on_commit_callbacks, csv_bytes(GOOD, row, GOOD))
    assert csv_import.status == Status.INVALID
    found = messages_of(csv_import)
    assert list(found) == [3], found
    assert any(message in text for text in found[3]), found
    with pytest.raises(ValidationError):
        run(personas, csv_import)
    assert Post.objects.count() == 0


def test_it_names_missing_campaigns_labels_and_accounts_the_member_may_not_publish_to(
    personas: Personas, bluesky: ConnectedAccount, django_capture_on_commit_callbacks
) -> None:
    Campaign.objects.create(workspace=personas.workspace, name="Spring")
    Campaign.objects.create(workspace=personas.workspace, name="Old", archived=True)
    Label.objects.create(workspace=personas.workspace, name="Product")
    AccountPermission.objects.create(
        membership=personas.membership(personas.editor), account=bluesky, level=AccountLevel.DRAFT
    )
    content = csv_bytes(
        "One,@acme@mastodon.example,2030-04-02 09:30,spring,product",
        "Two,@acme@mastodon.example,2030-04-02 09:30,Autumn,",
        "Three,@acme@mastodon.example,2030-04-02 09:30,Old,Product;Nope",
        "Four,acme.bsky.social|@acme@mastodon.example,2030-04-02 09:30,,",
        "Five,@rival@mastodon.example,2030-04-02 09:30,,",
        header="text,accounts,time,campaign,labels",
    )
    csv_import = upload(personas, django_capture_on_commit_callbacks, content)
    found = messages_of(csv_import)
    assert 2 not in found
    assert csv_import.rows[0]["campaign_name"] == "Spring" and csv_import.rows[0]["label_names"] == ["Product"]
    assert found[3] == ["There is no campaign called “Autumn”."]
    assert found[4] == ["The campaign “Old” is archived.", "There is no label called “Nope”."]
    assert found[5] == ["You may not publish to Bluesky acme.bsky.social."]
    # Another workspace's account is simply unknown here.
    assert found[6] == ["“@rival@mastodon.example” is not a connected account of this workspace."]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"title,when\nHello,2030-04-02 09:30\n", "missing_columns"),
        (b"text,accounts,time\n", "no_rows"),
        (b"text,accounts,time,text\nA,B,C,D\n", "duplicate_column"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00", "workbook"),
        ("text,accounts,time\nHei,@a,1.1.2031 9.00\n".encode("utf-16"), "utf16"),
        (b"text,accounts,time\nbad \x81\x8d byte,@a,2031-01-01 09:00\n", "encoding"),
        (b"text,accounts,time\n" + b'"' + b"x" * 200_000 + b"\n", "csv"),
    ],
)
def test_it_refuses_a_file_that_cannot_be_imported_at_all(personas: Personas, content: bytes, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        imports.csv_import_create(
            membership=personas.membership(personas.editor), file=SimpleUploadedFile("bad.csv", content), zone="UTC"
        )
    assert caught.value.code == code
    assert CsvImport.objects.count() == 0


def test_it_refuses_a_hundred_thousand_rows_quickly_without_reading_them_all(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = b"text,accounts,time\n" + b"x,y,z\n" * 100_000  # 600 kB: under the size limit
    assert len(content) < imports.MAX_FILE_BYTES
    read = 0
    real_reader = imports._reader

    def counting_reader(text: str, delimiter: str):
        nonlocal read
        for cells in real_reader(text, delimiter):
            read += 1
            yield cells

    monkeypatch.setattr(imports, "_reader", counting_reader)
    started = time.monotonic()
    with pytest.raises(ValidationError) as caught:
        imports.csv_import_create(
            membership=personas.membership(personas.editor), file=SimpleUploadedFile("big.csv", content), zone="UTC"
        )
    assert time.monotonic() - started < 2
    assert caught.value.code == "too_many_rows"
    assert "The file has more than 1,000 rows." in caught.value.messages[0]
    assert read < 1100  # the header sniffing and 1,001 rows, not 100,000
    assert CsvImport.objects.count() == 0


def test_it_refuses_a_file_over_two_megabytes_before_reading_it(personas: Personas) -> None:
    content = b"text,accounts,time\n" + b"Hello,@acme@mastodon.example,2030-04-02 09:30\n" * 50_000
    with pytest.raises(ValidationError) as caught:
        imports.csv_import_create(
            membership=personas.membership(personas.editor), file=SimpleUploadedFile("big.csv", content), zone="UTC"
        )
    assert caught.value.code == "too_large"


def test_the_upload_page_shows_a_file_error_on_the_form(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    response = client.post(
        reverse("publishing:import", args=[personas.workspace.slug]),
        {"file": SimpleUploadedFile("notes.csv", b"title\nHello\n"), "timezone": "UTC"},
    )
    assert response.status_code == 400
    assert "the columns “text”, “accounts”, “time” are missing" in response.content.decode()
    assert CsvImport.objects.count() == 0


# Media ---------------------------------------------------------------------------------------------
def test_it_fetches_media_once_and_creates_them_only_at_import(
    personas: Personas, server: ScriptedServer, media_root: Path, django_capture_on_commit_callbacks
) -> None:
    server.on("GET", "/photos/spring%20sale.png", Reply(body=png(), headers={"Content-Type": "image/png"}))
    url = f"{server.base_url}/photos/spring%20sale.png"
    content = csv_bytes(
        f"One,@acme@mastodon.example,2030-04-02 09:30,{url},Tulips in a window",
        f"Two,@acme@mastodon.example,2030-04-03 09:30,{url},Tulips in a window",
        header="text,accounts,time,media_urls,alt_text",
    )
    csv_import = upload(personas, django_capture_on_commit_callbacks, content)
    assert csv_import.status == Status.READY, csv_import.errors
    assert len(server.requests) == 1  # the same URL is fetched once per import
    item = csv_import.rows[0]["media"][0]
    assert (item["kind"], item["mime_type"], item["width"], item["alt_text"]) == (
        "image",
        "image/png",
        32,
        "Tulips in a window",
    )
    staging = media_root / "imports" / str(csv_import.pk)
    assert (staging / item["file"]).read_bytes() == png()
    assert MediaAsset.objects.count() == 0  # nothing in the library until the import

    with django_capture_on_commit_callbacks(execute=True):
        run(personas, csv_import)
    asset = MediaAsset.objects.get()
    assert (asset.original_name, asset.alt_text, asset.source_url) == ("spring sale.png", "Tulips in a window", url)
    assert [list(post.media.all()) for post in Post.objects.order_by("pk")] == [[asset], [asset]]
    assert not staging.exists()


def test_it_refuses_media_on_private_addresses_unless_loopback_is_allowed(
    settings, personas: Personas, server: ScriptedServer, django_capture_on_commit_callbacks
) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    server.on("GET", "/photo.png", Reply(body=png(), headers={"Content-Type": "image/png"}))
    content = csv_bytes(
        f"One,@acme@mastodon.example,2030-04-02 09:30,{server.base_url}/photo.png",
        "Two,@acme@mastodon.example,2030-04-02 09:30,http://10.0.0.7/photo.png",
        "Three,@acme@mastodon.example,2030-04-02 09:30,file:///etc/passwd",
        header="text,accounts,time,media_urls",
    )
    csv_import = upload(personas, django_capture_on_commit_callbacks, content)
    found = messages_of(csv_import)
    assert "points to the smm server itself" in found[2][0]
    assert "points to a private network" in found[3][0]
    assert "http:// or https://" in found[4][0]
    assert server.requests == []
    assert csv_import.status == Status.INVALID


def test_it_explains_media_that_cannot_be_used(
    personas: Personas, server: ScriptedServer, django_capture_on_commit_callbacks
) -> None:
    server.on("GET", "/page.png", Reply(body=b"<html>not a picture</html>", headers={"Content-Type": "image/png"}))
    content = csv_bytes(
        f"One,@acme@mastodon.example,2030-04-02 09:30,{server.base_url}/missing.png,",
        f"Two,@acme@mastodon.example,2030-04-02 09:30,{server.base_url}/page.png,",
        f"Three,@acme@mastodon.example,2030-04-02 09:30,{server.base_url}/a.png {server.base_url}/b.png "
        f"{server.base_url}/c.png {server.base_url}/d.png {server.base_url}/e.png,",
        "Four,@acme@mastodon.example,2030-04-02 09:30,,Alt without a picture",
        header="text,accounts,time,media_urls,alt_text",
    )
    found = messages_of(upload(personas, django_capture_on_commit_callbacks, content))
    assert "answered with status 404" in found[2][0]
    assert "is not a picture or video smm can publish" in found[3][0]
    assert found[4] == ["At most 4 media URLs in one row."]
    assert "more alt texts (1) than media URLs (0)" in found[5][0]


# All or nothing ------------------------------------------------------------------------------------
def test_a_failure_on_the_last_row_at_import_rolls_everything_back(
    personas: Personas,
    bluesky: ConnectedAccount,
    server: ScriptedServer,
    media_root: Path,
    django_capture_on_commit_callbacks,
) -> None:
    server.on("GET", "/photo.png", Reply(body=png(), headers={"Content-Type": "image/png"}))
    rows = [f"Post {n},@acme@mastodon.example,2030-04-{n:02d} 09:30,{server.base_url}/photo.png" for n in range(1, 10)]
    rows.append("Last,acme.bsky.social,2030-04-20 09:30,")
    csv_import = upload(
        personas, django_capture_on_commit_callbacks, csv_bytes(*rows, header="text,accounts,time,media_urls")
    )
    assert csv_import.status == Status.READY, csv_import.errors
    # Between the preview and the import, the last row's account is disconnected.
    ConnectedAccount.objects.filter(pk=bluesky.pk).update(status=ConnectedAccount.Status.DISCONNECTED)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as caught:
        run(personas, csv_import)
    assert "Nothing was imported: row 11 could not be scheduled." in caught.value.messages
    assert (Post.objects.count(), Target.objects.count(), MediaAsset.objects.count()) == (0, 0, 0)
    assert not list((media_root / "media").rglob("*.*"))  # the stored media files are gone too
    csv_import.refresh_from_db()
    assert csv_import.status == Status.INVALID
    assert [error["row"] for error in csv_import.errors] == [11]
    assert "disconnected" in csv_import.errors[0]["message"]


def test_it_imports_only_a_ready_import_once(personas: Personas, django_capture_on_commit_callbacks) -> None:
    csv_import = upload(personas, django_capture_on_commit_callbacks, csv_bytes(GOOD))
    run(personas, csv_import)
    with pytest.raises(ValidationError):
        run(personas, csv_import)
    assert Post.objects.count() == 1


# Discard, progress, example ------------------------------------------------------------------------
def test_discard_removes_the_staged_data(
    client, personas: Personas, server: ScriptedServer, media_root: Path, django_capture_on_commit_callbacks
) -> None:
    server.on("GET", "/photo.png", Reply(body=png(), headers={"Content-Type": "image/png"}))
    content = csv_bytes(
        f"One,@acme@mastodon.example,2030-04-02 09:30,{server.base_url}/photo.png",
        header="text,accounts,time,media_urls",
    )
    csv_import = upload(personas, django_capture_on_commit_callbacks, content)
    staging = media_root / "imports" / str(csv_import.pk)
    assert staging.exists()
    client.force_login(personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("publishing:import-discard", args=[personas.workspace.slug, csv_import.pk]))
    assert response.status_code == 302
    csv_import.refresh_from_db()
    assert (csv_import.status, csv_import.content, csv_import.rows) == (Status.DISCARDED, "", [])
    assert not staging.exists()
    response = client.post(reverse("publishing:import-run", args=[personas.workspace.slug, csv_import.pk]))
    assert response.status_code == 302
    assert Post.objects.count() == 0


def test_a_check_does_nothing_for_a_discarded_import(personas: Personas) -> None:
    created = imports.csv_import_create(
        membership=personas.membership(personas.editor), file=SimpleUploadedFile("p.csv", csv_bytes(GOOD)), zone="UTC"
    )
    imports.csv_import_discard(membership=personas.membership(personas.editor), csv_import=created.csv_import)
    assert imports.csv_import_check(import_id=created.csv_import.pk) == "skipped"


def test_a_twin_check_finishing_second_keeps_the_media_of_the_ready_import(
    personas: Personas, server: ScriptedServer, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A redelivered task can check the same import at the same time as the first one."""
    server.on("GET", "/photo.png", Reply(body=png(), headers={"Content-Type": "image/png"}))
    content = csv_bytes(
        f"One,@acme@mastodon.example,2030-04-02 09:30,{server.base_url}/photo.png",
        header="text,accounts,time,media_urls",
    )
    created = imports.csv_import_create(
        membership=personas.membership(personas.editor), file=SimpleUploadedFile("p.csv", content), zone="UTC"
    )
    import_id = created.csv_import.pk
    real_check_row = imports._check_row
    twin_ran = False

    def check_row_with_a_twin(*args, **kwargs):
        nonlocal twin_ran
        result = real_check_row(*args, **kwargs)
        if not twin_ran:
            twin_ran = True
            assert imports.csv_import_check(import_id=import_id) == "ready"  # the twin finishes first
        return result

    monkeypatch.setattr(imports, "_check_row", check_row_with_a_twin)
    assert imports.csv_import_check(import_id=import_id) == "stopped"
    csv_import = CsvImport.objects.get(pk=import_id)
    assert csv_import.status == Status.READY
    assert (media_root / "imports" / str(import_id) / csv_import.rows[0]["media"][0]["file"]).exists()
    assert not list((media_root / "imports" / str(import_id)).glob("*.part"))


def test_imports_left_for_a_week_are_discarded(
    personas: Personas, server: ScriptedServer, media_root: Path, clock, django_capture_on_commit_callbacks
) -> None:
    server.on("GET", "/photo.png", Reply(body=png(), headers={"Content-Type": "image/png"}))
    content = csv_bytes(
        f"One,@acme@mastodon.example,2030-04-02 09:30,{server.base_url}/photo.png",
        header="text,accounts,time,media_urls",
    )
    old = upload(personas, django_capture_on_commit_callbacks, content)
    done = upload(personas, django_capture_on_commit_callbacks, csv_bytes(GOOD))
    run(personas, done)
    clock.move_to(NOW + timedelta(days=6), tick=False)
    recent = upload(personas, django_capture_on_commit_callbacks, csv_bytes(GOOD))
    clock.move_to(NOW + timedelta(days=8), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.csv_imports_discard_stale() == 1
    statuses = dict(CsvImport.objects.values_list("pk", "status"))
    assert statuses == {old.pk: Status.DISCARDED, done.pk: Status.IMPORTED, recent.pk: Status.READY}
    assert not (media_root / "imports" / str(old.pk)).exists()


def test_the_detail_page_polls_with_a_progress_bar_while_checking(client, personas: Personas) -> None:
    created = imports.csv_import_create(
        membership=personas.membership(personas.editor),
        file=SimpleUploadedFile("p.csv", csv_bytes(*[GOOD] * 4)),
        zone="UTC",
    )
    CsvImport.objects.filter(pk=created.csv_import.pk).update(checked_rows=1)
    client.force_login(personas.editor)
    url = reverse("publishing:import-detail", args=[personas.workspace.slug, created.csv_import.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert 'hx-trigger="every 1s"' in page
    assert 'role="progressbar"' in page and 'aria-valuenow="25"' in page
    assert "1 of 4 rows checked" in page
    assert "HX-Request" in response["Vary"]

    imports.csv_import_check(import_id=created.csv_import.pk)
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in page
    assert "All 4 rows were checked and can be scheduled." in page
    assert 'id="row-5"' in page
    assert "<html" in client.get(url).content.decode()


def test_the_preview_highlights_rows_with_errors(
    client, personas: Personas, django_capture_on_commit_callbacks
) -> None:
    csv_import = upload(
        personas, django_capture_on_commit_callbacks, csv_bytes(GOOD, "Bad,@acme@mastodon.example,soon")
    )
    client.force_login(personas.editor)
    page = client.get(reverse("publishing:import-detail", args=[personas.workspace.slug, csv_import.pk]))
    html = page.content.decode()
    assert '<tr id="row-3" class="table-danger">' in html
    assert '<tr id="row-2">' in html
    assert "“soon” is not a time smm understands." in html
    assert "import-run" not in html and "/run/" not in html  # no import button for an invalid file


def test_the_example_file_imports_as_it_is(client, personas: Personas, django_capture_on_commit_callbacks) -> None:
    client.force_login(personas.editor)
    response = client.get(reverse("publishing:import-example", args=[personas.workspace.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"\xef\xbb\xbftext,accounts,time,media_urls,")
    assert len(content.decode("utf-8-sig").strip().splitlines()) == 3
    csv_import = upload(personas, django_capture_on_commit_callbacks, content)
    assert csv_import.status == Status.READY, csv_import.errors
    assert csv_import.total_rows == 2


def test_the_upload_page_lists_recent_imports(client, personas: Personas, django_capture_on_commit_callbacks) -> None:
    upload(personas, django_capture_on_commit_callbacks, csv_bytes(GOOD))
    client.force_login(personas.admin)
    response = client.get(reverse("publishing:import", args=[personas.workspace.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "posts.csv" in page and "Ready to import" in page
    assert 'value="UTC" selected' in page  # the admin's own time zone by default


def test_it_warns_about_times_that_do_not_exist_or_happen_twice(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    csv_import = upload(
        personas,
        django_capture_on_commit_callbacks,
        csv_bytes(
            "Gap,@acme@mastodon.example,31.3.2030 3.30",
            "Twice,@acme@mastodon.example,27.10.2030 3.30",
        ),
    )
    assert csv_import.status == Status.READY
    assert "the clocks go forward" in csv_import.rows[0]["warnings"][0]
    assert "the clocks go back" in csv_import.rows[1]["warnings"][0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-05-31 14:30", datetime(2030, 5, 31, 14, 30)),  # noqa: DTZ001
        ("2030-05-31T14:30:15", datetime(2030, 5, 31, 14, 30, 15)),  # noqa: DTZ001
        ("31.05.2030 14:30", datetime(2030, 5, 31, 14, 30)),  # noqa: DTZ001
        ("1.6.2030 9.05", datetime(2030, 6, 1, 9, 5)),  # noqa: DTZ001
        ("1.6.2030 klo 9.05", datetime(2030, 6, 1, 9, 5)),  # noqa: DTZ001
    ],
)
def test_it_reads_the_time_formats(value: str, expected: datetime) -> None:
    assert imports.parse_local_time(value) == expected
