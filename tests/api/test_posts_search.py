"""Searching posts: accents folded, only what the viewer may see, any input survives."""

from __future__ import annotations

from tests.api.posts_support import database, neighbourhoods, posts_of, signed_in, write_post


def _titles(hits) -> list[str]:
    return sorted(hit.title for hit in hits)


async def test_search_folds_accents_and_stays_in_the_neighbourhood(node, browsers):
    # Given posts in Centre, one shared with adjacent Nord, and one in Sud
    place = await neighbourhoods(node)
    await write_post(node, place.alice, "Works on Chaussee de Mons", body="Road closed")
    await write_post(
        node, place.alice, "Vélo trouvé", body="Un vélo bleu", shared_with_adjacent=True
    )
    await write_post(node, place.sam, "Chaussée de Binche", body="Sud only: chaussée")
    hidden = await write_post(node, place.bob, "Chaussée hidden", body="moderated")
    posts = posts_of(node)
    with database(node) as conn:
        conn.execute("UPDATE posts SET status = 'hidden' WHERE id = ?", (hidden,))

    # When Bob (Centre) searches with and without accents
    assert _titles(await posts.search(place.bob, "chaussée")) == ["Works on Chaussee de Mons"]
    assert _titles(await posts.search(place.bob, "CHAUSSEE")) == ["Works on Chaussee de Mons"]
    assert _titles(await posts.search(place.bob, "velo bleu")) == ["Vélo trouvé"]
    assert _titles(await posts.search(place.bob, "vél")) == ["Vélo trouvé"]  # as typed so far

    # Then Nora (Nord) finds only what Centre shared; Sam (Sud) only Sud's
    assert _titles(await posts.search(place.nora, "chaussee")) == []
    assert _titles(await posts.search(place.nora, "velo")) == ["Vélo trouvé"]
    assert _titles(await posts.search(place.sam, "chaussee")) == ["Chaussée de Binche"]
    assert _titles(await posts.search(place.sam, "velo")) == []

    # And the page shows the result with the word highlighted
    bob = await signed_in(browsers, place.bob)
    html = await (await bob.get("/search?q=road+chauss%C3%A9e")).text()
    assert "1 post found" in html and "Works on Chaussee de Mons" in html
    assert "<mark>Road</mark>" in html
    assert "Chaussée de Binche" not in html and "Chaussée hidden" not in html


ODD_QUERIES = (
    '"',
    '""',
    "*",
    "NEAR(",
    "NEAR(a b",
    'bike" OR "x',
    "-bike",
    "a AND OR NOT",
    "col:bike",
    "^bike",
    "(((",
    "🙂",
    "x" * 500,
    "\x00\x02\x03",
)


async def test_any_input_survives_the_search_box(node):
    place = await neighbourhoods(node, adjacent=False)
    await write_post(node, place.alice, "Bike near the station", body="NEAR the bike rack")
    headers = await node.api_token(place.bob)

    for query in ODD_QUERIES:
        response = await node.client.get("/api/v1/search", params={"q": query}, headers=headers)
        assert response.status == 200, query
        assert isinstance(await response.json(), list), query


async def test_the_search_page_survives_fts_syntax_and_finds_words_inside_it(node, browsers):
    place = await neighbourhoods(node, adjacent=False)
    await write_post(node, place.alice, "Bike near the station")
    bob = await signed_in(browsers, place.bob)
    for query in ('"', "*", "NEAR(", 'bike" NEAR(station'):
        response = await bob.get("/search", params={"q": query})
        assert response.status == 200, query
    html = await (await bob.get("/search", params={"q": 'bike" NEAR(station'})).text()
    assert "Bike near the station" in html
    assert 'value="bike&#34; NEAR(station"' in html  # the query is shown back, escaped
