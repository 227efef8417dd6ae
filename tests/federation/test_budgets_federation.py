"""A participatory budget across two nodes: the city's own neighbourhood and a neighbourhood on
another node that follows the city. Residents allocate on their home node; once closed, each
neighbourhood's sums reach the city as a signed aggregate equal to a tally computed here, small
groups hidden, and no resident's name ever crosses the network."""

from __future__ import annotations

import time

from node.api.app_keys import BUDGETS
from node.models import Role
from node.models.budgets import BudgetDraft, DraftProject
from node.storage import city_messages as city_messages_store
from tests.api.browser import quick_password_hashing  # noqa: F401 (autouse)
from tests.conftest import PASSWORD
from tests.federation.conftest import FederatedNode, Network

AMOUNT = 10_000
PROJECTS = (
    DraftProject("Benches on the square", "Ten oak benches", 4000),
    DraftProject("Bike racks", "Forty racks", 6000),
    DraftProject("Community garden", "Raised beds", 5000),
)
# Six residents per neighbourhood, each row an allocation: project index -> euros. Projects
# are given by 0 or at least 5 residents (k = 5), except "Bike racks" in Nimy (2: hidden).
CENTRE = [
    {0: 4000, 2: 5000},
    {0: 1000, 1: 6000},
    {0: 2000, 1: 3000, 2: 5000},
    {0: 3000, 1: 2000, 2: 1000},
    {0: 500, 1: 500, 2: 500},
    {1: 4000, 2: 4000},
]
NIMY = [
    {0: 4000, 2: 5000},
    {0: 3000, 2: 2000},
    {0: 2500, 1: 6000},
    {0: 1000, 2: 3000},
    {0: 4000, 1: 1000, 2: 5000},
    {2: 2500},
]
HYON = [{0: 1000}, {2: 2000}]  # fewer than k residents took part: nothing but the count


def resident_name(slug: str, n: int) -> str:
    return f"Eulalie Brindacier-{slug}-{n}"


async def budget_message_id(node: FederatedNode, slug: str) -> int:
    neighbourhood = next(n for n in await node.register.list_neighbourhoods() if n.slug == slug)
    messages = await node.federation.db.read(
        "list",
        city_messages_store.list_city_messages_for_neighbourhood,
        neighbourhood.id,
        0,
        100,
    )
    return next(m.id for m in messages if m.kind == "budget")


async def allocate_all(node: FederatedNode, slug: str, rows: list[dict[int, int]]) -> None:
    message_id = await budget_message_id(node, slug)
    for n, amounts in enumerate(rows):
        resident = await node.accounts.create_user(
            f"{slug}{n}@example.org", resident_name(slug, n), Role.RESIDENT, slug, PASSWORD
        )
        await node.app[BUDGETS].allocate(resident, message_id, amounts)


def tally(rows: list[dict[int, int]], project: int) -> tuple[int, int]:
    given = [r[project] for r in rows if r.get(project)]
    return sum(given), len(given)


async def test_budget_results_reach_the_city_as_sums_with_small_groups_hidden(network: Network):
    city, nimy = await network.city_and_follower()
    await city.register.create_neighbourhood("Hyon")

    # The city publishes a budget to every neighbourhood, local and remote
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )
    budgets = city.app[BUDGETS]
    budget = await budgets.create(
        staff,
        BudgetDraft(
            title="Neighbourhood budget 2025",
            description="Share out **10,000 €**.",
            amount=AMOUNT,
            opens_at=None,
            closes_at=int(time.time()) + 7 * 86400,
            projects=PROJECTS,
            targets=("all",),
        ),
    )
    await network.settle()

    # Residents allocate on their own node; Nimy's figures go to the city as a signed report
    await allocate_all(city, "centre", CENTRE)
    await allocate_all(city, "hyon", HYON)
    await allocate_all(nimy, "nimy", NIMY)
    await network.settle()
    while_open = await budgets.results(budget.id)
    assert {n.name for n in while_open.neighbourhoods} == {"Centre", "Hyon", "Nimy"}
    assert all(n.projects == () for n in while_open.neighbourhoods)  # no sums while open
    assert all(p.total is None for p in while_open.projects)

    # Closed: every neighbourhood sends its final figures
    await budgets.close(staff, budget.id)
    await network.settle()
    results = await budgets.results(budget.id)
    by_name = {n.name: n for n in results.neighbourhoods}
    assert all(n.final for n in results.neighbourhoods)
    assert {name: n.participants for name, n in by_name.items()} == {
        "Centre": 6,
        "Hyon": 2,
        "Nimy": 6,
    }
    assert results.participants == 14
    for project in range(3):
        total, supporters = tally(CENTRE, project)
        assert by_name["Centre"].projects[project].total == total
        assert by_name["Centre"].projects[project].supporters == supporters
    for project in (0, 2):
        total, supporters = tally(NIMY, project)
        assert by_name["Nimy"].projects[project].total == total
        assert by_name["Nimy"].projects[project].supporters == supporters
    # Two residents of Nimy gave to the bike racks: fewer than k, so hidden
    assert tally(NIMY, 1)[1] == 2
    assert by_name["Nimy"].projects[1].total is None
    assert by_name["Nimy"].projects[1].supporters is None
    # Hyon: two residents took part, so no project figure at all
    assert all(p.total is None and p.supporters is None for p in by_name["Hyon"].projects)

    # Overall: the sums of what was shown, marked partial where a neighbourhood hid a figure
    for project in (0, 2):
        expected = tally(CENTRE, project)[0] + tally(NIMY, project)[0]
        assert results.projects[project].total == expected
    assert results.projects[1].total == tally(CENTRE, 1)[0]
    assert results.partial == (True, True, True)  # Hyon hides every project

    # Nothing personal crossed the network: no resident's name, no e-mail address
    for slug, rows in (("centre", CENTRE), ("nimy", NIMY), ("hyon", HYON)):
        for n in range(len(rows)):
            assert not network.traffic.contains(resident_name(slug, n))
            assert not network.traffic.contains(f"{slug}{n}@example.org")
    assert network.traffic.contains("quartier:Budget")  # the budget itself did travel
    assert network.traffic.contains("budget_results")


async def test_outcome_reaches_residents_on_the_remote_node(network: Network):
    city, nimy = await network.city_and_follower()
    staff = await city.accounts.create_user(
        "staff@mons.example", "Staff", Role.CITY_STAFF, None, PASSWORD
    )
    budgets = city.app[BUDGETS]
    nimy_uri = nimy.group_uri("nimy")
    budget = await budgets.create(
        staff,
        BudgetDraft(
            title="Nimy only",
            description="For Nimy.",
            amount=AMOUNT,
            opens_at=None,
            closes_at=int(time.time()) + 86400,
            projects=(*PROJECTS[:2], DraftProject("Nimy playground", "", 9000, nimy_uri)),
            targets=("all",),
        ),
    )
    await network.settle()
    resident = await nimy.accounts.create_user(
        "anne@nimy.example", "Anne", Role.RESIDENT, "nimy", PASSWORD
    )
    message_id = await budget_message_id(nimy, "nimy")
    received, _ = await nimy.app[BUDGETS].for_resident(resident, message_id)
    assert [p.project.name for p in received.projects][-1] == "Nimy playground"
    centre_resident = await city.accounts.create_user(
        "bob@mons.example", "Bob", Role.RESIDENT, "centre", PASSWORD
    )
    centre_view, _ = await budgets.for_resident(
        centre_resident, await budget_message_id(city, "centre")
    )
    assert "Nimy playground" not in [p.project.name for p in centre_view.projects]

    await budgets.publish_outcome(staff, budget.id, [2], "The playground is *funded*.")
    await network.settle()
    received, _ = await nimy.app[BUDGETS].for_resident(resident, message_id)
    assert received.state(time.time()) == "closed"
    assert received.outcome_html is not None and "<em>funded</em>" in received.outcome_html
    assert [p.project.name for p in received.projects if p.funded] == ["Nimy playground"]
