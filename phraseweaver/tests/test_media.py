"""Media URLs carry their own short-lived signature: our view on the file system, the bucket's
presigned URL on S3; the Content-Security-Policy allows exactly the origin in use."""

import time
import urllib.request
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from phraseweaver import media
from phraseweaver.middleware import content_security_policy

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def stored(storage, name="users/1/images/abc.png", content=PNG_BYTES) -> str:
    return storage.save(name, ContentFile(content))


def fetch(url: str) -> tuple[int, bytes, dict]:
    """GET a media URL as a browser's <img> would: without any Authorization header."""
    if url.startswith("/"):
        response = Client().get(url)
        return response.status_code, b"".join(response), response.headers
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except HTTPError as error:
        return error.code, b"", dict(error.headers)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def old_token(name: str, seconds_ago: int) -> str:
    class Then(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - seconds_ago)

    return Then(salt=media.MEDIA_SALT).sign_object(name)


def test_it_shows_a_stored_file_to_a_request_without_init_data(db, media_storage):
    name = stored(media_storage)

    status, body, _headers = fetch(media.media_url(name))

    assert status == 200
    assert body == PNG_BYTES


def test_it_signs_s3_urls_for_as_long_as_its_own(db, s3_storage, settings):
    url = media.media_url(stored(default_storage))

    query = parse_qs(urlsplit(url).query)

    assert query["X-Amz-Expires"] == [str(settings.MEDIA_URL_MAX_AGE)]
    assert "X-Amz-Signature" in query


def test_an_unsigned_s3_url_is_refused_by_the_bucket(db, s3_storage):
    url = media.media_url(stored(default_storage))

    status, _body, _headers = fetch(url.split("?")[0])

    assert status == 403


def test_it_serves_the_file_with_its_type_a_private_cache_and_no_sniffing(db, settings):
    response = Client().get(media.media_url(stored(default_storage)))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == f"private, max-age={settings.MEDIA_URL_MAX_AGE}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "status", "first", "last"),
    [
        ("bytes=0-9", 206, 0, 9),
        ("bytes=1000-", 206, 1000, 1031),
        ("bytes=-32", 206, 1000, 1031),
        ("bytes=5000-6000", 200, 0, 1031),
        ("bytes=0-1,5-6", 200, 0, 1031),
        ("pages=1-2", 200, 0, 1031),
    ],
)
def test_it_answers_one_byte_range_as_safari_asks_for_sounds(db, header, status, first, last):
    response = Client().get(media.media_url(stored(default_storage)), headers={"Range": header})

    assert response.status_code == status
    assert b"".join(response) == PNG_BYTES[first : last + 1]
    if status == 206:
        assert response["Content-Range"] == f"bytes {first}-{last}/{len(PNG_BYTES)}"


def test_the_same_file_has_the_same_url_from_one_screen_to_the_next(db):
    name = stored(default_storage)

    assert media.media_url(name) == media.media_url(name)


def test_an_expired_url_is_forbidden(db, settings):
    name = stored(default_storage)
    too_old = settings.MEDIA_URL_MAX_AGE + media.STEP_SECONDS + 1

    assert Client().get("/media/", {"token": old_token(name, too_old)}).status_code == 403
    assert Client().get("/media/", {"token": old_token(name, 60)}).status_code == 200


def test_a_tampered_url_shows_nothing(db):
    own = stored(default_storage, "users/1/images/own.png")
    other = stored(default_storage, "users/2/images/other.png", b"someone else's")
    value, timestamp, signature = token_of(media.media_url(own)).split(":")
    forged_value = signing.b64_encode(signing.JSONSerializer().dumps(other)).decode()

    for token in (
        f"{forged_value}:{timestamp}:{signature}",
        f"{value}:{timestamp}:{signature}x",
        signing.dumps(other),
        signing.dumps(other, salt="cards.download"),
    ):
        response = Client().get("/media/", {"token": token})
        assert response.status_code == 404, token


def test_a_url_without_a_signature_is_not_found(db):
    token = token_of(media.media_url(stored(default_storage)))

    assert Client().get("/media/").status_code == 404
    assert Client().get("/media/users/1/images/abc.png").status_code == 404
    assert Client().get("/media/", {"token": "not-a-token"}).status_code == 404
    assert Client().get(f"/media/?token={token}&token={token}").status_code == 404


def test_the_token_stays_out_of_the_logs():
    from phraseweaver.logs import redact

    url = media.media_url("users/1/images/abc.png")

    assert token_of(url) not in redact(f'"GET {url} HTTP/1.1" 200')


def test_a_signed_name_whose_file_is_gone_is_not_found(db):
    assert Client().get(media.media_url("users/1/images/gone.png")).status_code == 404


def test_a_signed_name_outside_the_media_root_is_not_found(db):
    assert Client().get(media.media_url("../../etc/passwd")).status_code == 404


def test_media_answer_only_reads(db):
    url = media.media_url(stored(default_storage))

    assert Client().head(url).status_code == 200
    assert Client().post(url).status_code == 405


def test_the_policy_allows_our_own_media_and_recordings_being_previewed_on_the_file_system(
    client, db
):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))

    assert directives["media-src"] == "'self' blob:"
    assert directives["img-src"] == "'self' data: https://t.me https://*.telegram.org"


def test_the_policy_allows_exactly_the_buckets_origin_on_s3(client, db, s3_storage, s3_server):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))

    assert directives["media-src"] == f"{s3_server} blob:"
    assert directives["img-src"] == f"'self' data: https://t.me https://*.telegram.org {s3_server}"


def test_the_policy_names_a_virtual_hosted_buckets_origin():
    policy = content_security_policy(media="https://bucket.fly.storage.tigris.dev")

    assert "media-src https://bucket.fly.storage.tigris.dev blob:" in policy
