"""A neighbourhood on another node reports its statistics to the city it follows, as a signed
aggregate: the city sees its counts beside its own neighbourhoods', and no resident's name
or post ever crosses the network."""

from __future__ import annotations

import re
import time

from node.api.app_keys import POSTS, SCHEMAS, STATISTICS
from node.models import Role
from node.services.accounts import NewAccount
from node.services.post_drafts import PostDraft
from node.services.statistics import month_ranges
from tests.api.browser import Browsers
from tests.conftest import PASSWORD, register_csv
from tests.federation.conftest import FederatedNode, Network

RESIDENTS = ("Philomène Cornemuse", "Théodule Bergamote")
TITLES = ("Quince jam swap at number twelve", "Lost: a green budgerigar named Kiwi")
COMMENT = "Saw a green bird near the sawmill"


async def signed_up(node: FederatedNode, code: str, name: str):
    email = name.split()[0].lower() + "@example.org"
    return await node.accounts.sign_up_with_code(
        code, NewAccount(email, name, PASSWORD), "127.0.0.1", None
    )


async def nimy_life(nimy: FederatedNode) -> None:
    """Nimy: 3 households in the register, 2 signed up; 2 posts (one a resolved help request),
    1 comment, 2 reactions."""
    await nimy.register.create_neighbourhood("Nimy")
    await nimy.register.import_register(
        register_csv([("Rue de Nimy", str(n), "", "7020", "Mons", "nimy") for n in (10, 12, 14)])
    )
    households, _ = await nimy.register.household_page(None, "", 1)
    philomene = await signed_up(nimy, households[0].code, RESIDENTS[0])
    theodule = await signed_up(nimy, households[1].code, RESIDENTS[1])
    posts = nimy.app[POSTS]
    jam = await posts.create_post(philomene, PostDraft(category="general", title=TITLES[0]))
    bird = await posts.create_post(theodule, PostDraft(category="help_request", title=TITLES[1]))
    await posts.interactions.add_comment(philomene, bird, COMMENT)
    await posts.interactions.toggle_reaction(theodule, jam, "thanks")
    await posts.interactions.toggle_reaction(philomene, bird, "support")
    await posts.interactions.mark_resolved(theodule, bird)


async def test_remote_neighbourhood_statistics_reach_the_city_as_counts_only(network: Network):
    city = await network.node("mons", city=True)
    await city.register.create_neighbourhood("Centre")
    nimy = await network.node("nimy")
    await nimy_life(nimy)

    # Nimy's server follows the city, which trusts it outright
    await city.peering.set_host_policy(nimy.host, "allow")
    await nimy.peering.follow_city(f"city@{city.host}", None)
    await network.settle()

    # The city sees Nimy's counts, from Nimy's server, beside its own neighbourhood
    this_month = month_ranges(int(time.time()), "Europe/Brussels")[-1].key
    overview = await city.app[STATISTICS].overview()
    rows = {n.name: n for n in overview.neighbourhoods}
    assert set(rows) == {"Centre", "Nimy"}
    remote = rows["Nimy"]
    assert (remote.local, remote.host, remote.uri) == (False, nimy.host, nimy.group_uri("nimy"))
    assert (remote.households_in_register, remote.households_registered) == (3, 2)
    assert remote.coverage_percent == 66.7
    assert remote.residents == 2
    month = remote.months[this_month]
    assert (month.posts, month.comments, month.reactions) == (2, 1, 2)
    assert (month.help_requests, month.help_resolved) == (1, 1)
    assert rows["Centre"].local and rows["Centre"].households_in_register == 0
    assert overview.total.over("posts", overview.months) == 2

    # Through the city's API too
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )
    _, secret = await city.accounts.create_api_token(staff, "tests")
    response = await city.client.get(
        "/api/v1/city/statistics", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status == 200
    body = await response.json()
    city.app[SCHEMAS].validate("api/statistics", body)
    nimy_json = next(n for n in body["neighbourhoods"] if n["name"] == "Nimy")
    assert nimy_json["host"] == nimy.host and nimy_json["local"] is False
    assert nimy_json["months"][this_month]["reactions"] == 2

    # And on the dashboard's first page, beside the city's own neighbourhoods
    browsers = Browsers(city)
    try:
        browser = browsers.open()
        await browser.login("staff@mons.example")
        page = await (await browser.get("/city")).text()
    finally:
        await browsers.close()
    assert re.search(
        rf'<td>Nimy <span class="hint">\({re.escape(nimy.host)}\)</span></td>'
        r'<td class="numeric">3</td><td class="numeric">2</td>',
        page,
    )
    assert "<td>Centre</td>" in page

    # It travelled as a signed statistics report; nothing a resident wrote or is called did
    assert network.traffic.contains('"quartier:reportKind":"statistics"')
    for secret_text in RESIDENTS + TITLES + (COMMENT, "Philomène", "Théodule", "budgerigar"):
        assert not network.traffic.contains(secret_text), secret_text


async def test_a_node_without_city_follows_reports_nothing(network: Network):
    city = await network.node("mons", city=True)
    nimy = await network.node("nimy")
    await nimy_life(nimy)
    # Nimy never followed the city: its figures stay home
    await network.settle()
    assert (await city.app[STATISTICS].overview()).neighbourhoods == []
    assert not network.traffic.contains("quartier:Report")
