"""Short-lived URLs for learners' media, and the view that serves them from the file system.

`<img>` and `<audio>` cannot send the Authorization header, so a media URL carries its own
signature instead: on the file system `/media/?token=…` for `media_file` (a `django.core.signing`
signature of the file's name, good for MEDIA_URL_MAX_AGE seconds), on S3 the bucket's own
presigned URL with the same expiry. Only the server signs, and it signs only names it read from
the learner's own objects; names are random, and nothing lists them.
"""

import mimetypes
import re
import time

from django.conf import settings
from django.core import signing
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

MEDIA_SALT = "phraseweaver.media"
# Tokens are dated to the start of a five-minute step, so the screens a learner sees one after
# another (a question, its answer) name the same URL and the WebView's cache serves it again.
STEP_SECONDS = 300
RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class _SteppedSigner(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) // STEP_SECONDS * STEP_SECONDS)


def _signer() -> _SteppedSigner:
    return _SteppedSigner(salt=MEDIA_SALT)


def on_file_system(storage: Storage | None = None) -> bool:
    return isinstance(storage or default_storage, FileSystemStorage)


def media_url(name: str) -> str:
    """A URL that shows this stored file for MEDIA_URL_MAX_AGE seconds, to anyone who has it."""
    if not on_file_system():
        return default_storage.url(name)  # presigned, with the same expiry (settings)
    token = _signer().sign_object(name)
    return f"{reverse('media_file')}?{urlencode({'token': token})}"


def media_origin() -> str | None:
    """The origin media URLs point at when it is not ours (the bucket's), for the CSP."""
    if on_file_system():
        return None
    scheme, _slash, rest = default_storage.url("origin").partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def signed_name(token: str) -> str:
    """The file name a media token signs; Http404 when it is not ours (tampered, made up),
    PermissionError when it has expired."""
    try:
        name = _signer().unsign_object(token, max_age=settings.MEDIA_URL_MAX_AGE + STEP_SECONDS)
    except signing.SignatureExpired:
        raise PermissionError from None
    except signing.BadSignature:
        raise Http404 from None
    if not isinstance(name, str) or not name:
        raise Http404
    return name


@require_safe
def media_file(request: HttpRequest) -> HttpResponseBase:
    """One stored file, for a token from media_url(); the signature is the authentication.

    The token travels in the query string, which the access log leaves out (gunicorn.conf.py)
    and phraseweaver/logs.py blanks wherever else a URL is logged, as for download links.
    """
    tokens = request.GET.getlist("token")
    if len(tokens) != 1:
        raise Http404
    try:
        name = signed_name(tokens[0])
    except PermissionError:
        return HttpResponseForbidden(_("This link has expired."))
    try:
        file = default_storage.open(name)
    except (FileNotFoundError, IsADirectoryError, SuspiciousFileOperation):
        raise Http404 from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    ranged = _range(request, file.size)
    if ranged is None:
        response: HttpResponseBase = FileResponse(file, content_type=content_type)
    else:
        # Safari (iOS's WebView) plays <audio> only from a server that answers byte ranges.
        start, end = ranged
        with file:
            file.seek(start)
            response = HttpResponse(file.read(end - start + 1), content_type, status=206)
        response["Content-Range"] = f"bytes {start}-{end}/{file.size}"
    response["Accept-Ranges"] = "bytes"
    # The file behind a name never changes; the URL expires, so a private cache may keep it.
    response["Cache-Control"] = f"private, max-age={settings.MEDIA_URL_MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _range(request: HttpRequest, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, clipped to the file; None for the whole file (no Range,
    several ranges or one we cannot satisfy: a 200 with everything is always a valid answer)."""
    match = RANGE.fullmatch(request.headers.get("Range", "").strip())
    if match is None or not size or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last `last` bytes
        return max(size - int(last), 0), size - 1
    start, end = int(first), int(last) if last else size - 1
    if start > end or start >= size:
        return None
    return start, min(end, size - 1)
