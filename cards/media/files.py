"""Names and storage of media files: random names under the owner's prefix, written and removed
through Django's default storage (the file system, or the bucket)."""

import secrets

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


class MediaRefused(Exception):
    """A file we do not store, with the reason in the learner's language."""


def check_upload_size(upload: File) -> None:
    if upload.size is None or upload.size > settings.MEDIA_UPLOAD_MAX_BYTES:
        raise MediaRefused(too_large_media())


def too_large_media() -> str:
    return _("The file is larger than %(size)s.") % {
        "size": filesizeformat(settings.MEDIA_UPLOAD_MAX_BYTES)
    }


def read_upload(upload: File) -> bytes:
    """The upload's bytes, after its size is checked (an upload is at most a few MB)."""
    check_upload_size(upload)
    upload.seek(0)
    return upload.read()


def random_name(prefix: str, extension: str) -> str:
    """An unguessable name: 128 random bits under `prefix` (e.g. users/<id>/images)."""
    return f"{prefix}/{secrets.token_urlsafe(16)}.{extension}"


def owner_prefix(owner_id: int, kind: str) -> str:
    return f"users/{owner_id}/{kind}"


def store(prefix: str, extension: str, content: bytes) -> str:
    """Save `content` under a new random name; the name it was stored as."""
    return default_storage.save(random_name(prefix, extension), ContentFile(content))


def delete(name: str) -> None:
    """Remove a stored file; one that is already gone is no error."""
    if name:
        default_storage.delete(name)


def delete_on_commit(names: list[str]) -> None:
    """Remove these stored files once the transaction that forgot them commits."""
    names = [name for name in names if name]

    def delete_them() -> None:
        for name in names:
            delete(name)

    if names:
        transaction.on_commit(delete_them)
