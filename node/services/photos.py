"""Photos residents attach to posts: checked by decoding, re-encoded clean, stored privately.

An upload is trusted for nothing: its name and declared type are ignored, Pillow decodes it,
and only JPEG, PNG and WebP are accepted. What is stored is a new encoding of the pixels
(turned upright per EXIF first), so EXIF, GPS positions, comments and any other metadata are
gone. Files get random names under DATA/uploads/ and are served only through a route that
checks the viewer may see the post.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from node.errors import N_, InvalidInput

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_SIDE = 2048
THUMB_WIDTH = 480
THUMB_MAX_HEIGHT = 1440
# Refuse before decoding what would take hundreds of MiB of memory (decompression bombs).
MAX_PIXELS = 50_000_000
CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}


@dataclass(frozen=True)
class EncodedPhoto:
    """A photo and its thumbnail, re-encoded and ready to write."""

    image: bytes
    thumb: bytes
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredPhoto:
    file_name: str
    thumb_name: str
    width: int
    height: int


class PhotoRejected(ValueError):
    """The bytes are not a photo we accept; `message` is a msgid for the resident."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def _pixels_only(image: Image.Image, mode: str) -> Image.Image:
    """A new image holding only the pixels: Pillow's encoders copy some of `info` (JPEG
    comments, ICC profiles) into the file by default, so nothing of the original is kept."""
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        # Transparency is kept as PNG; everything else becomes a JPEG.
        _pixels_only(image, "RGBA").save(buffer, "PNG", optimize=True)
        return buffer.getvalue(), ".png"
    _pixels_only(image, "RGB").save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue(), ".jpg"


def encode_photo(data: bytes, max_mb: float) -> EncodedPhoto:
    """Decode, check, turn upright, cap the size and re-encode without any metadata."""
    if len(data) > max_mb * 1024 * 1024:
        raise PhotoRejected(N_("Each photo must be smaller than %(size)s MB."), size=f"{max_mb:g}")
    try:
        with Image.open(io.BytesIO(data)) as source:
            if source.format not in ACCEPTED_FORMATS:
                raise PhotoRejected(N_("Choose a photo in JPEG, PNG or WebP format."))
            width, height = source.size
            if width * height > MAX_PIXELS:
                raise PhotoRejected(N_("This photo has too many pixels; send a smaller one."))
            source.load()
            upright = ImageOps.exif_transpose(source)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoRejected(N_("Choose a photo in JPEG, PNG or WebP format.")) from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    image, extension = _encode(upright)
    thumb_source = upright.copy()
    thumb_source.thumbnail((THUMB_WIDTH, THUMB_MAX_HEIGHT), Image.Resampling.LANCZOS)
    thumb, _ = _encode(thumb_source)
    return EncodedPhoto(image, thumb, extension, upright.width, upright.height)


class PhotoFiles:
    """Photo files under one directory, with random names nobody can guess."""

    def __init__(self, directory: Path, max_mb: float) -> None:
        self.directory = directory
        self.max_mb = max_mb
        self.max_bytes = int(max_mb * 1024 * 1024)

    async def prepare(self, uploads: list[bytes], field: str = "photos") -> list[EncodedPhoto]:
        """Re-encode every upload (off the event loop); one bad photo refuses them all."""

        def encode_all() -> list[EncodedPhoto]:
            encoded = []
            for number, data in enumerate(uploads, start=1):
                try:
                    encoded.append(encode_photo(data, self.max_mb))
                except PhotoRejected as exc:
                    message = (
                        N_("Photo %(number)d: %(problem)s") if len(uploads) > 1 else exc.message
                    )
                    params = (
                        {"number": number, "problem": exc.message % exc.params}
                        if len(uploads) > 1
                        else exc.params
                    )
                    raise InvalidInput({field: (message, params)}) from None
            return encoded

        return await asyncio.to_thread(encode_all)

    async def write(self, photos: list[EncodedPhoto]) -> list[StoredPhoto]:
        return await asyncio.to_thread(self._write_all, photos)

    def _write_all(self, photos: list[EncodedPhoto]) -> list[StoredPhoto]:
        self.directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        stored: list[StoredPhoto] = []
        written: list[str] = []
        try:
            for photo in photos:
                name = secrets.token_urlsafe(18)
                file_name = f"{name}{photo.extension}"
                thumb_name = f"{name}-thumb{photo.extension}"
                for target, data in ((file_name, photo.image), (thumb_name, photo.thumb)):
                    self._write_new(target, data)
                    written.append(target)
                stored.append(StoredPhoto(file_name, thumb_name, photo.width, photo.height))
        except BaseException:
            self._unlink(written)
            raise
        return stored

    def _write_new(self, name: str, data: bytes) -> None:
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def remove(self, photos: list) -> None:
        """Delete the files of photos that are gone or were never recorded (best effort)."""
        self._unlink([name for p in photos for name in (p.file_name, p.thumb_name)])

    def _unlink(self, names: list[str]) -> None:
        for name in names:
            try:
                self.path_of(name).unlink()
            except FileNotFoundError:
                pass
            except OSError:
                log.exception("could not delete photo file %s", name)

    def path_of(self, name: str) -> Path:
        """The file behind a stored name (names come from the database, never from a URL)."""
        return self.directory / Path(name).name


def content_type_of(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
