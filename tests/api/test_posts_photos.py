"""Photos on posts: cleaned of metadata, checked by decoding, limited, served privately."""

from __future__ import annotations

import dataclasses
import io
import os
import re

import pytest
from PIL import ExifTags, Image

from node.config import UploadSettings
from tests.api.browser import field_errors
from tests.api.posts_support import jpeg, neighbourhoods, post_multipart, signed_in
from tests.conftest import make_config

MAX_MB = 0.05  # small, so an "oversize" photo stays small too


@pytest.fixture
def node_config(tmp_path):
    config = make_config(tmp_path / "node")
    return dataclasses.replace(
        config, uploads=UploadSettings(max_photo_mb=MAX_MB, max_photos_per_post=4)
    )


def _jpeg_with_gps_taken_sideways() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: show rotated 90°
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 1.0, 42.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 28.0, 46.0)
    data = jpeg(size=(64, 48), exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as check:  # the test photo really carries a position
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def _photo_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/photos/(\d+)">', html)]


async def test_a_photo_is_stored_upright_and_without_any_metadata(node, browsers):
    # Given Alice's phone photo carrying its GPS position and a sideways orientation
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)

    # When she posts it
    created = await post_multipart(
        alice,
        "/posts",
        {"category": "lost_found", "title": "Found keys"},
        [("IMG_0001.JPG", _jpeg_with_gps_taken_sideways(), "image/jpeg")],
    )
    assert created.status == 303, await created.text()
    page = await (await alice.get(created.headers["Location"])).text()
    (photo_id,) = _photo_ids(page)

    # Then a neighbour fetches an upright JPEG with no EXIF, no GPS, nothing but pixels
    bob = await signed_in(browsers, place.bob)
    response = await bob.get(f"/photos/{photo_id}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Cache-Control"].startswith("private")
    data = await response.read()
    assert b"Exif" not in data and b"PhoneCo" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info
        assert stored.size == (48, 64)  # turned upright

    # And the thumbnail, listed on the feed, is as clean
    feed = await (await bob.get("/neighbourhood")).text()
    assert f'src="/photos/{photo_id}/thumb"' in feed
    thumb = await (await bob.get(f"/photos/{photo_id}/thumb")).read()
    assert b"Exif" not in thumb

    # And the file on disk has a random name, not the one sent, outside the static files
    files = os.listdir(node.config.uploads_dir)
    assert len(files) == 2 and not any("IMG_0001" in name for name in files)
    assert (await bob.get(f"/static/{files[0]}")).status == 404


async def test_bytes_that_are_not_a_photo_are_refused_beside_the_field_keeping_the_text(
    node, browsers
):
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)

    # When Alice sends a text file named like a photo
    response = await post_multipart(
        alice,
        "/posts",
        {"category": "offer", "offer_kind": "give", "title": "Free sofa", "body": "Blue, comfy."},
        [("sofa.jpg", b"this is not a picture at all", "image/jpeg")],
    )

    # Then the message is beside the photo field, and what she typed is still there
    assert response.status == 400
    html = await response.text()
    assert field_errors(html) == {"photos": "Choose a photo in JPEG, PNG or WebP format."}
    assert 'value="Free sofa"' in html and "Blue, comfy.</textarea>" in html
    assert 'value="give" checked' in html and 'value="offer" checked' in html
    # And nothing was stored
    assert "Free sofa" not in await (await alice.get("/neighbourhood")).text()
    assert not node.config.uploads_dir.exists() or os.listdir(node.config.uploads_dir) == []


async def test_a_photo_over_the_size_limit_is_refused(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)
    noise = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=95)
    assert len(buffer.getvalue()) > MAX_MB * 1024 * 1024

    response = await post_multipart(
        alice,
        "/posts",
        {"category": "tip", "title": "Sunset"},
        [("big.jpg", buffer.getvalue(), "image/jpeg")],
    )

    assert response.status == 400
    html = await response.text()
    assert field_errors(html) == {"photos": "Each photo must be smaller than 0.05 MB."}
    assert 'value="Sunset"' in html


async def test_a_fifth_photo_is_refused_on_a_new_post_and_on_an_edit(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)
    photos = [
        (f"p{n}.jpg", jpeg(colour=colour), "image/jpeg")
        for n, colour in enumerate(("red", "green", "blue", "white", "black"))
    ]

    # When Alice sends five photos at once
    response = await post_multipart(
        alice, "/posts", {"category": "general", "title": "Our street"}, photos
    )
    assert response.status == 400
    html = await response.text()
    assert field_errors(html) == {"photos": "A post can have at most 4 photos."}
    assert 'value="Our street"' in html

    # When she posts four, then adds a fifth on the edit page
    created = await post_multipart(
        alice, "/posts", {"category": "general", "title": "Our street"}, photos[:4]
    )
    path = created.headers["Location"]
    assert len(_photo_ids(await (await alice.get(path)).text())) == 4
    response = await post_multipart(
        alice, f"{path}/edit", {"category": "general", "title": "Our street, again"}, photos[4:]
    )
    assert response.status == 400
    assert field_errors(await response.text()) == {"photos": "A post can have at most 4 photos."}

    # When she removes one photo while adding the fifth, it fits
    first = _photo_ids(await (await alice.get(path)).text())[0]
    response = await post_multipart(
        alice,
        f"{path}/edit",
        {"category": "general", "title": "Our street", "remove_photo": str(first)},
        photos[4:],
    )
    assert response.status == 303, await response.text()
    ids = _photo_ids(await (await alice.get(path)).text())
    assert len(ids) == 4 and first not in ids
    assert (await alice.get(f"/photos/{first}")).status == 404
    assert len(os.listdir(node.config.uploads_dir)) == 8  # 4 photos and their thumbnails


async def test_a_transparent_png_stays_a_png_and_a_deleted_post_takes_its_files(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    alice = await signed_in(browsers, place.alice)
    buffer = io.BytesIO()
    Image.new("RGBA", (3000, 1000), (255, 0, 0, 128)).save(buffer, "PNG")

    created = await post_multipart(
        alice,
        "/posts",
        {"category": "tip", "title": "Logo"},
        [("logo.png", buffer.getvalue(), "image/png")],
    )
    path = created.headers["Location"]
    (photo_id,) = _photo_ids(await (await alice.get(path)).text())
    response = await alice.get(f"/photos/{photo_id}")
    assert response.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(await response.read())) as stored:
        assert stored.mode == "RGBA" and stored.size == (2048, 683)  # long side capped
    with Image.open(io.BytesIO(await (await alice.get(f"/photos/{photo_id}/thumb")).read())) as t:
        assert t.width == 480

    await alice.post_form(f"{path}/delete")
    assert (await alice.get(f"/photos/{photo_id}")).status == 404
    assert os.listdir(node.config.uploads_dir) == []


async def test_the_api_adds_a_photo_sent_as_the_body(node):
    place = await neighbourhoods(node, adjacent=False)
    headers = await node.api_token(place.alice)
    created = await node.client.post(
        "/api/v1/posts", json={"category": "tip", "title": "Bench"}, headers=headers
    )
    post_id = (await created.json())["id"]

    added = await node.client.post(
        f"/api/v1/posts/{post_id}/photos",
        data=_jpeg_with_gps_taken_sideways(),
        headers={**headers, "Content-Type": "image/jpeg"},
    )
    assert added.status == 201
    (photo_id,) = (await added.json())["photo_ids"]
    refused = await node.client.post(
        f"/api/v1/posts/{post_id}/photos",
        data=b"%PDF-1.4 not a photo",
        headers={**headers, "Content-Type": "image/jpeg"},
    )
    assert refused.status == 422
    assert (await refused.json())["errors"][0]["field"] == "photos"

    image = await node.client.get(f"/api/v1/photos/{photo_id}", headers=headers)
    assert image.status == 200 and b"Exif" not in await image.read()
    post = await (await node.client.get(f"/api/v1/posts/{post_id}", headers=headers)).json()
    assert [(p["width"], p["height"]) for p in post["photos"]] == [(48, 64)]
