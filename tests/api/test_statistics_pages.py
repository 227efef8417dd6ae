"""City staff read the statistics of their neighbourhoods: counts only, on the page, in the
CSV download and through the API, never a resident's name or a post's text."""

from __future__ import annotations

import csv
import io
import time
from html.parser import HTMLParser

from node.api.app_keys import ANNOUNCEMENTS, DATABASE, REPORTING, SCHEMAS
from node.app import create_app
from node.bootstrap import init_node
from node.config import load_config
from node.models import Role
from node.services.accounts import NewAccount
from node.services.announcements import AnnouncementDraft
from node.services.statistics import month_ranges
from node.storage import city_messages as city_messages_store
from node.storage import city_reports as city_reports_store
from tests.api.posts_support import posts_of, write_post
from tests.conftest import ENGLISH, PASSWORD, Node, register_csv

NAMES = (
    "Albertine Quenouille",
    "Barnabé Sauterelle",
    "Clothilde Pimprenelle",
    "Norbert Escarbille",
)
TITLES = (
    "Zythum tasting under the lime tree",
    "Who could help carry a harpsichord",
    "Ophicleide lessons wanted urgently",
    "Withdrawn tuba sale",
)


class Tables(HTMLParser):
    """The page's tables by caption: rows of cell texts (header cells included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._in_caption = False
        self._hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        classes = dict(attrs).get("class") or ""
        if self._hidden or "visually-hidden" in classes:
            self._hidden += 1
        if tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag) -> None:
        if self._hidden:
            self._hidden -= 1
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._rows is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables[self._caption or ""] = self._rows
            self._rows = None

    def handle_data(self, data) -> None:
        if self._in_caption:
            self._caption = (self._caption or "") + data.strip()
        elif self._cell is not None and not self._hidden:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, dict[str, list[str]]]:
    """{caption: {first cell of a row: the other cells}}."""
    parser = Tables()
    parser.feed(html)
    return {caption: {r[0]: r[1:] for r in rows if r} for caption, rows in parser.tables.items()}


async def city_node(aiohttp_client, tmp_path) -> Node:
    data = tmp_path / "city"
    init_node(data, "http://127.0.0.1:8080", "Mons")
    config = load_config(data, env={"QUARTIER_CITY_ENABLED": "true"})
    node = Node(config, await aiohttp_client(create_app(config), headers=ENGLISH))
    # The background pass would report the empty neighbourhoods as soon as they exist, and
    # then wait the report interval before the next: the test reports when it has set up.
    await node.client.app[REPORTING].stop()
    return node


async def sign_up(node: Node, code: str, name: str):
    email = name.split()[0].lower() + "@example.org"
    return await node.accounts.sign_up_with_code(
        code, NewAccount(email, name, PASSWORD), "127.0.0.1", None
    )


async def neighbourhood_life(node: Node) -> None:
    """Centre: 3 households in the register, 2 signed up (3 residents), 2 messages, 1 comment,
    3 reactions, 1 help request (resolved), 2 views of a city message. Nord: 2 households,
    1 signed up, 1 unresolved help request and 1 deleted message (not counted)."""
    centre = await node.register.create_neighbourhood("Centre")
    await node.register.create_neighbourhood("Nord")
    await node.register.import_register(
        register_csv(
            [
                ("Rue Haute", "1", "", "7000", "Mons", "centre"),
                ("Rue Haute", "2", "", "7000", "Mons", "centre"),
                ("Rue Haute", "3", "", "7000", "Mons", "centre"),
                ("Rue du Nord", "1", "", "7000", "Mons", "nord"),
                ("Rue du Nord", "2", "", "7000", "Mons", "nord"),
            ]
        )
    )
    households, _ = await node.register.household_page(None, "", 1)
    code = {(h.household.street, h.household.number): h.code for h in households}
    albertine = await sign_up(node, code[("Rue Haute", "1")], NAMES[0])
    barnabe = await sign_up(node, code[("Rue Haute", "2")], NAMES[1])
    clothilde = await sign_up(node, code[("Rue Haute", "1")], NAMES[2])  # same household
    norbert = await sign_up(node, code[("Rue du Nord", "1")], NAMES[3])

    posts = posts_of(node)
    tasting = await write_post(node, albertine, TITLES[0])
    harpsichord = await write_post(node, barnabe, TITLES[1], category="help_request")
    await posts.interactions.add_comment(barnabe, tasting, "Count me in, Albertine!")
    await posts.interactions.toggle_reaction(barnabe, tasting, "like")
    await posts.interactions.toggle_reaction(clothilde, tasting, "thanks")
    await posts.interactions.toggle_reaction(albertine, harpsichord, "support")
    await posts.interactions.mark_resolved(barnabe, harpsichord)
    await write_post(node, norbert, TITLES[2], category="help_request")
    await posts.delete_post(norbert, await write_post(node, norbert, TITLES[3]))

    # Two residents open a city message (recorded by the city message pages, keyed by a hash)
    staff = await node.user(Role.CITY_STAFF, email="staff@mons.example")
    await node.client.app[ANNOUNCEMENTS].publish(
        staff,
        AnnouncementDraft(title="Water cut", body="9-12.", local_neighbourhoods=(centre.id,)),
    )
    db = node.client.app[DATABASE]
    message = (
        await db.read(
            "list", city_messages_store.list_city_messages_for_neighbourhood, centre.id, 0, 10
        )
    )[0]

    def viewed(conn) -> None:
        conn.executemany(
            "INSERT INTO city_message_views (message_id, neighbourhood_id, viewer)"
            " VALUES (?, ?, ?)",
            [(message.id, centre.id, "k1"), (message.id, centre.id, "k2")],
        )

    await db.write("views", viewed)
    await node.client.app[REPORTING].drain()


async def test_staff_see_counts_per_neighbourhood_on_page_csv_and_api(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    await neighbourhood_life(node)
    months = [m.key for m in month_ranges(int(time.time()), node.config.node.timezone)]
    this_month = months[-1]
    await node.login("staff@mons.example")

    # The page: one table per figure, a row per neighbourhood and a total
    response = await node.client.get("/city/statistics")
    assert response.status == 200
    html = await response.text()
    tables = tables_of(html)
    households = tables[
        "Households with at least one resident signed up, against the households in the"
        " address register"
    ]
    assert households["Centre"][:4] == ["3", "2", "66.7 %", "3"]
    assert households["Nord"][:4] == ["2", "1", "50 %", "1"]
    assert households["Total"][:4] == ["5", "3", "60 %", "4"]
    assert households["Centre"][4]  # last reported: a date
    messages = tables["Messages per month and neighbourhood"]
    assert messages["Neighbourhood"][-2].startswith(this_month)
    assert messages["Centre"][-2:] == ["2", "2"]  # this month, last 12 months
    assert messages["Nord"][-2:] == ["1", "1"]  # the deleted message is not counted
    assert messages["Total"][-2:] == ["3", "3"]
    assert tables["Comments per month and neighbourhood"]["Centre"][-1] == "1"
    assert tables["Reactions per month and neighbourhood"]["Centre"][-1] == "3"
    assert tables["Reactions per month and neighbourhood"]["Total"][-1] == "3"
    help_requests = tables[
        "Help requests asked in the last 12 months, and how many of them are resolved"
    ]
    assert help_requests["Centre"] == ["1", "1", "100 %"]
    assert help_requests["Nord"] == ["1", "0", "0 %"]
    assert help_requests["Total"] == ["2", "1", "50 %"]
    views = [t for caption, t in tables.items() if caption.startswith("Times residents opened")]
    assert views[0]["Centre"] == ["2"] and views[0]["Nord"] == ["0"]
    # A chart per figure, beside its table
    assert html.count('<svg class="chart"') == 6
    assert "<title>Coverage per neighbourhood (%)</title>" in html

    # The CSV: one row per neighbourhood and month
    response = await node.client.get("/city/statistics.csv")
    assert response.status == 200
    assert response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert len(rows) == 2 * 12
    centre_now = next(
        r for r in rows if r["neighbourhood"] == "Centre" and r["month"] == this_month
    )
    assert {k: centre_now[k] for k in ("posts", "comments", "reactions")} == {
        "posts": "2",
        "comments": "1",
        "reactions": "3",
    }
    assert (centre_now["help_requests"], centre_now["help_resolved"]) == ("1", "1")
    assert (centre_now["households_in_register"], centre_now["households_registered"]) == (
        "3",
        "2",
    )
    assert centre_now["city_message_views"] == "2"
    earlier = next(r for r in rows if r["neighbourhood"] == "Nord" and r["month"] == months[0])
    assert earlier["posts"] == "0"

    # The API: the same figures
    staff = await node.accounts.user_by_email("staff@mons.example")
    response = await node.client.get("/api/v1/city/statistics", headers=await node.api_token(staff))
    assert response.status == 200
    body = await response.json()
    node.client.app[SCHEMAS].validate("api/statistics", body)
    by_name = {n["name"]: n for n in body["neighbourhoods"]}
    assert by_name["Centre"]["coverage_percent"] == 66.7
    assert by_name["Centre"]["local"] is True
    assert by_name["Centre"]["months"][this_month] == {
        "posts": 2,
        "comments": 1,
        "reactions": 3,
        "help_requests": 1,
        "help_resolved": 1,
    }
    assert by_name["Nord"]["help_resolved_percent"] == 0
    assert body["total"]["households_registered"] == 3
    assert body["months"] == months

    # Nowhere a resident's name or what they wrote
    csv_text = await (await node.client.get("/city/statistics.csv")).text()
    for text in (html, csv_text, str(body)):
        for secret in NAMES + tuple(n.split()[0] for n in NAMES) + TITLES + ("Count me in",):
            assert secret not in text


async def test_residents_cannot_open_the_statistics(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    await node.register.create_neighbourhood("Centre")
    await node.user(Role.RESIDENT, email="res@example.org", neighbourhood="centre")
    await node.login("res@example.org")
    for path in ("/city/statistics", "/city/statistics.csv"):
        response = await node.client.get(path, allow_redirects=False)
        assert response.status in (403, 404), path


async def test_odd_figures_from_a_neighbourhood_show_as_not_reported(aiohttp_client, tmp_path):
    node = await city_node(aiohttp_client, tmp_path)
    await neighbourhood_life(node)
    city_uri = "http://127.0.0.1:8080/ap/city"

    # A report from another server, in a shape this version does not understand
    def odd_report(conn) -> None:
        city_reports_store.put_city_report(
            conn,
            subject_uri=city_uri,
            kind="statistics",
            neighbourhood_uri="https://quartier.havre.example/ap/n/havre",
            neighbourhood_name="Havré",
            host="quartier.havre.example",
            sequence=1,
            final=False,
            figures={
                "householdsInRegister": "many",
                "householdsRegistered": -4,
                "residents": True,
                "months": {"2020-01": {"posts": 5}, "garbage": []},
            },
            now=1,
        )

    await node.client.app[DATABASE].write("odd", odd_report)
    await node.login("staff@mons.example")
    response = await node.client.get("/city/statistics")
    assert response.status == 200
    households = tables_of(await response.text())[
        "Households with at least one resident signed up, against the households in the"
        " address register"
    ]
    assert households["Havré (quartier.havre.example)"][:4] == ["–", "–", "–", "–"]
    assert households["Total"][:2] == ["5", "3"]  # the others still add up
    response = await node.client.get("/city/statistics.csv")
    assert response.status == 200
    staff = await node.accounts.user_by_email("staff@mons.example")
    response = await node.client.get("/api/v1/city/statistics", headers=await node.api_token(staff))
    body = await response.json()
    node.client.app[SCHEMAS].validate("api/statistics", body)
    havre = next(n for n in body["neighbourhoods"] if n["name"] == "Havré")
    assert havre["households_in_register"] is None and havre["months"] == {}
