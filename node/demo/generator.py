"""One node's own life, generated and written before the node serves.

The address register goes in through the register service, as an admin's CSV import would.
The bulk of the life (residents, posts, comments, reactions, help requests resolved) is
written with the storage functions the services use, many rows per write interaction: going
through a service would cost a thread hop and a commit per row, and would stamp every row
with the current time where the demo needs six months of history. Texts still pass the
services' own checks and rendering (`check_draft`, `render_markdown`).
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from node.config import Config
from node.demo import vocabulary as words
from node.demo.addresses import addresses, in_a_sentence, register_csv, street_names
from node.demo.topology import (
    ADJACENT,
    COMMENTS_PER_POST,
    HELP_REQUEST_SHARE,
    HELP_RESOLVED_SHARE,
    MONTHS_OF_HISTORY,
    POSTS,
    REACTIONS,
    SECOND_RESIDENT_SHARE,
    NeighbourhoodPlan,
    NodePlan,
)
from node.models import Neighbourhood, Role, User, UserStatus
from node.models.posts import NewPost, ReactionKind
from node.services.accounts import Accounts
from node.services.post_drafts import PostDraft, check_draft
from node.services.posts import Posts
from node.services.register import Register, slugify
from node.services.rich_text import render_markdown
from node.storage import comments as comments_store
from node.storage import events as events_store
from node.storage import posts as posts_store
from node.storage import reactions as reactions_store
from node.storage import users as users_store
from node.storage.database import Database

DAY = 86_400
HOUR = 3_600
# Rows per write interaction: big enough to make the hop and the commit negligible, small
# enough to stay well under the 200 ms after which the database logs a slow interaction.
BATCH = 1_500
REGISTER_BATCH = 1_000
POST_BATCH = 150  # a post comes with its reactions and some 30 reading marks
CATEGORY_WEIGHTS = {
    "help_request": HELP_REQUEST_SHARE,
    "offer": 0.20,
    "event": 0.08,
    "tip": 0.14,
    "lost_found": 0.09,
    "public_space": 0.12,
    "general": 0.22,
}
# Reactions of each kind by category: thanks for help and offers, support for complaints.
REACTION_WEIGHTS = {
    "help_request": (0.45, 0.15, 0.40),
    "offer": (0.60, 0.35, 0.05),
    "public_space": (0.10, 0.20, 0.70),
}
DEFAULT_REACTION_WEIGHTS = (0.25, 0.65, 0.10)
SHARED_WITH_ADJACENT_SHARE = 0.1
# How many posts are written in each hour of the day, relatively (0 h to 23 h).
WRITING_HOURS = (1, 0, 0, 0, 0, 1, 2, 5, 8, 8, 7, 7, 9, 8, 6, 6, 7, 8, 10, 11, 10, 8, 5, 2)
# Residents who open a post besides those who answer it: not published, an assumption.
READERS_PER_POST = 25
KINDS = list(ReactionKind)

T = TypeVar("T")


@dataclass(frozen=True)
class Logins:
    """The accounts `quartier demo` prints: the same e-mail addresses on every node."""

    password: str
    admin: str
    staff: str
    resident: str


@dataclass(frozen=True)
class _Account:
    name: str
    email: str  # empty: made up from the name
    role: Role
    household_id: int
    joined_at: int


@dataclass(frozen=True)
class Resident:
    id: int
    neighbourhood_id: int
    joined_at: int


@dataclass
class LifeCounts:
    households: int = 0
    residents: int = 0
    posts: int = 0
    comments: int = 0
    reactions: int = 0
    help_requests: int = 0
    help_resolved: int = 0

    def add(self, other: LifeCounts) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Post:
    neighbourhood: Neighbourhood
    author: Resident
    created_at: int
    post: NewPost
    id: int = 0
    commenters: list[tuple[int, int]] = field(default_factory=list)  # (user id, time)
    reactions: list[tuple[int, ReactionKind, int]] = field(default_factory=list)
    readers: list[int] = field(default_factory=list)


def _batches(items: Sequence[T], size: int = BATCH) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _slots(rng: random.Random, streets: Sequence[str]) -> dict[str, object]:
    """Values for a text's slots, drawn once so that a post's title and body agree."""
    pet, pet_name = rng.choice(words.PETS)
    item = rng.choice(words.ITEMS)
    return dict(
        item=item,
        item_cap=item[0].upper() + item[1:],
        gift=rng.choice(words.GIFTS),
        pet=pet,
        pet_cap=pet[0].upper() + pet[1:],
        pet_name=pet_name,
        lost=rng.choice(words.LOST_THINGS),
        day=rng.choice(words.DAYS),
        street=in_a_sentence(rng.choice(streets)),
        number=rng.randint(1, 120),
    )


class NodeLife:
    """Writes one node's generated life into its (not yet serving) database."""

    def __init__(
        self,
        db: Database,
        config: Config,
        plan: NodePlan,
        logins: Logins,
        password_hash: str,
        rng: random.Random,
        now: int,
    ) -> None:
        self._db = db
        self._plan = plan
        self._logins = logins
        self._password_hash = password_hash
        self._rng = rng
        self._tz = ZoneInfo(config.node.timezone)
        # History ends at the last midnight, and every moment is counted from there: the same
        # seed gives the same life whatever the day and hour it is generated.
        today = datetime.fromtimestamp(now, self._tz).replace(hour=0, minute=0, second=0)
        self._end = int(today.timestamp())
        self._start = self._end - MONTHS_OF_HISTORY * 30 * DAY
        self._accounts = Accounts(db, config.security)
        # The register was imported, and the letters sent, a fortnight before the first
        # resident joined.
        self._register = Register(
            db, config.base_url, config.node.name, clock=lambda: self._start - 14 * DAY
        )
        self._posts = Posts(db, config)
        self._html: dict[str, str] = {}
        self.counts = LifeCounts()
        self.resident_ids: list[int] = []

    async def write(self) -> LifeCounts:
        """Everything, in order: accounts, neighbourhoods, register, residents, posts."""
        admin = await self._accounts.create_user(
            self._logins.admin, "Administration", Role.ADMIN, None, self._logins.password
        )
        if self._plan.city:
            await self._accounts.create_user(
                self._logins.staff,
                "Service participation",
                Role.CITY_STAFF,
                None,
                self._logins.password,
            )
        neighbourhoods = [
            await self._register.create_neighbourhood(n.name) for n in self._plan.neighbourhoods
        ]
        await self._set_adjacency(admin, neighbourhoods)
        adjacent = await self._db.read("demo_adjacency", posts_store.list_adjacency)
        streets = await self._import_register()
        posts: list[_Post] = []
        for n, plan in zip(neighbourhoods, self._plan.neighbourhoods, strict=True):
            residents = await self._sign_up(n, plan, first=n is neighbourhoods[0])
            drafted = self._draft_posts(n, plan, residents, streets[n.slug], n.id in adjacent)
            self._draft_comments_and_reactions(drafted, residents)
            posts += drafted
        posts.sort(key=lambda p: p.created_at)  # ids follow time: the feed orders by id
        await self._write_posts(posts)
        await self._write_comments_and_resolutions(posts)
        return self.counts

    # -- the register ---------------------------------------------------------------------

    async def _set_adjacency(self, admin: User, neighbourhoods: list[Neighbourhood]) -> None:
        by_name = {n.name: n.id for n in neighbourhoods}
        pairs = [(by_name[a], by_name[b]) for a, b in ADJACENT if a in by_name and b in by_name]
        for n in neighbourhoods:
            others = [b for a, b in pairs if a == n.id] + [a for a, b in pairs if b == n.id]
            if others:
                await self._posts.set_adjacent(admin, n.id, others)

    async def _import_register(self) -> dict[str, list[str]]:
        """The generated register, imported in parts as an admin's CSV would be; returns
        each neighbourhood's streets."""
        streets = street_names(self._plan.neighbourhoods, self._rng)
        rows = [
            row
            for plan in self._plan.neighbourhoods
            for row in addresses(plan, streets[plan.slug], self._rng)
        ]
        for chunk in _batches(rows, REGISTER_BATCH):
            result = await self._register.import_register(register_csv(chunk))
            self.counts.households += result.created
        return streets

    # -- residents ------------------------------------------------------------------------

    def _joined_at(self) -> int:
        """Most people join in the weeks after the letters arrive; others trickle in."""
        if self._rng.random() < 0.55:
            return self._start + int(self._rng.uniform(0, 30 * DAY))
        return int(self._rng.uniform(self._start, self._end - DAY))

    async def _sign_up(
        self, neighbourhood: Neighbourhood, plan: NeighbourhoodPlan, first: bool
    ) -> list[Resident]:
        """Residents of `signed_up` households, as if each had joined with its letter's code."""
        ids: list[int] = []
        while len(ids) < plan.households:
            page, _ = await self._register.household_page(
                neighbourhood.id, "", len(ids) // BATCH + 1, per_page=BATCH
            )
            if not page:
                break
            ids += [h.household.id for h in page]
        chosen = self._rng.sample(sorted(ids), plan.signed_up)
        accounts: list[_Account] = []
        for household_id in chosen:
            surname = self._rng.choice(words.SURNAMES)
            people = 2 if self._rng.random() < SECOND_RESIDENT_SHARE else 1
            for _ in range(people):
                name = f"{self._rng.choice(words.FIRST_NAMES)} {surname}"
                accounts.append(_Account(name, "", Role.RESIDENT, household_id, self._joined_at()))
        accounts.sort(key=lambda a: a.joined_at)
        # The printed resident is the first to have joined; the second is the ambassador.
        if first:
            accounts[0] = replace(accounts[0], name="Camille Lambert", email=self._logins.resident)
        accounts[1] = replace(accounts[1], role=Role.MODERATOR)
        hash_ = self._password_hash

        def put(conn, batch: Sequence[_Account], offset: int) -> list[Resident]:
            made = []
            for n, account in enumerate(batch, start=offset):
                name, email, joined = account.name, account.email, account.joined_at
                address = email or f"{slugify(name).replace('-', '.')}.{n}@voisins.example"
                user = users_store.put_user(
                    conn,
                    email=address,
                    display_name=name,
                    password_hash=hash_,
                    role=account.role,
                    status=UserStatus.ACTIVE,
                    neighbourhood_id=neighbourhood.id,
                    household_id=account.household_id,
                    locale=None,
                    now=joined,
                )
                made.append(Resident(user.id, neighbourhood.id, joined))
            return made

        residents: list[Resident] = []
        for chunk in _batches(accounts):
            offset = self.counts.residents + len(residents)
            residents += await self._db.write("demo_residents", put, chunk, offset)
        self.counts.residents += len(residents)
        self.resident_ids += [r.id for r in residents]
        return residents

    # -- posts, comments, reactions -------------------------------------------------------

    def _html_of(self, text: str) -> str:
        if text not in self._html:
            self._html[text] = render_markdown(text)
        return self._html[text]

    def _someone_joined_by(
        self, residents: list[Resident], joined: list[int], moment: int, active: bool = False
    ) -> Resident:
        known = residents[: max(1, bisect.bisect_right(joined, moment))]
        # Early joiners write most: a few regulars, many occasional voices.
        index = int(len(known) * self._rng.random() ** 2) if active else None
        return known[index] if index is not None else self._rng.choice(known)

    def _draft_posts(
        self,
        neighbourhood: Neighbourhood,
        plan: NeighbourhoodPlan,
        residents: list[Resident],
        streets: list[str],
        has_adjacent: bool,
    ) -> list[_Post]:
        joined = [r.joined_at for r in residents]
        first = joined[0] + HOUR
        categories = list(CATEGORY_WEIGHTS)
        weights = list(CATEGORY_WEIGHTS.values())
        posts = []
        for _ in range(plan.posts):
            created = max(first, self._written_on_a_day_after(max(first, self._start)))
            category = self._rng.choices(categories, weights)[0]
            title, body = self._rng.choice(words.POSTS[category])
            slots = _slots(self._rng, streets)
            offer_kind = "lend"
            if title.startswith(("À donner", "Donne")):
                offer_kind = "give"
            elif "vendre" in title:
                offer_kind = "sell"
            draft = PostDraft(
                category=category,
                title=title.format(**slots),
                body=body.format(**slots),
                offer_kind=offer_kind,
                shared_with_adjacent=has_adjacent
                and self._rng.random() < SHARED_WITH_ADJACENT_SHARE,
                starts_at=created + self._rng.randint(3, 20) * DAY + self._rng.randint(1, 9) * HOUR,
                location=self._rng.choice(streets),
            )
            new, problems = check_draft(draft, self._tz)
            assert new is not None, problems
            author = self._someone_joined_by(residents, joined, created, active=True)
            posts.append(_Post(neighbourhood, author, created, new))
        return posts

    def _draft_comments_and_reactions(self, posts: list[_Post], residents: list[Resident]) -> None:
        """Decide who answers each post and when; texts are drawn when written."""
        joined = [r.joined_at for r in residents]
        reactions_per_post = REACTIONS / POSTS
        for post in posts:
            category = post.post.category.value
            mean = COMMENTS_PER_POST * (1.6 if category == "help_request" else 1.0)
            for _ in range(_poisson(self._rng, mean)):
                moment = self._later(post.created_at, 6 * HOUR)
                who = self._someone_joined_by(residents, joined, moment)
                if who.id != post.author.id:
                    post.commenters.append((who.id, moment))
            known = residents[: bisect.bisect_right(joined, post.created_at)]
            others = [r.id for r in known if r.id != post.author.id]
            wanted = min(len(others), _poisson(self._rng, reactions_per_post))
            post_reactions = self._rng.sample(others, wanted)
            kinds = REACTION_WEIGHTS.get(category, DEFAULT_REACTION_WEIGHTS)
            post.reactions = [
                (user, self._rng.choices(KINDS, kinds)[0], self._later(post.created_at, 4 * HOUR))
                for user in post_reactions
            ]
            answered = {user for user, _ in post.commenters} | set(post_reactions)
            silent = [user for user in others if user not in answered]
            more = min(len(silent), _poisson(self._rng, READERS_PER_POST))
            post.readers = sorted(answered | set(self._rng.sample(silent, more)))

    def _written_on_a_day_after(self, earliest: int) -> int:
        """A day between `earliest` and yesterday, at an hour people write: mornings, lunch
        and evenings (hours counted from midnight, near enough across a change of clocks)."""
        days = max(1, (self._end - earliest) // DAY)
        hour = self._rng.choices(range(24), WRITING_HOURS)[0]
        minute = self._rng.randrange(60)
        return self._end - self._rng.randint(1, days) * DAY + hour * HOUR + minute * 60

    def _later(self, moment: int, mean_delay: int) -> int:
        """A moment after `moment`, `mean_delay` seconds later on average, before the last
        midnight."""
        return min(self._end, moment + int(self._rng.expovariate(1 / mean_delay)))

    async def _write_posts(self, posts: list[_Post]) -> None:
        view_key = self._posts.view_key

        def put(conn, batch: Sequence[_Post]) -> None:
            for p in batch:
                p.id = posts_store.put_post(
                    conn, p.neighbourhood.id, p.author.id, p.post, p.created_at
                )
                if p.post.event is not None:
                    events_store.put_post_event(conn, p.id, p.post.event)
                for user_id, kind, moment in p.reactions:
                    reactions_store.toggle_reaction(conn, p.id, user_id, kind, moment)
                for user_id in p.readers:
                    reactions_store.put_view_key(conn, p.id, view_key(p.id, user_id))

        for chunk in _batches(posts, POST_BATCH):
            await self._db.write("demo_posts", put, chunk)
        self.counts.posts += len(posts)
        self.counts.reactions += sum(len(p.reactions) for p in posts)

    async def _write_comments_and_resolutions(self, posts: list[_Post]) -> None:
        comments = sorted(
            ((moment, p, user_id) for p in posts for user_id, moment in p.commenters),
            key=lambda c: c[0],
        )
        texts = []
        for _, post, _ in comments:
            template = self._rng.choice(words.COMMENTS[post.post.category.value])
            text = template.format(**_slots(self._rng, [post.neighbourhood.name]))
            texts.append((text, self._html_of(text)))
        resolutions = []
        for p in posts:
            if p.post.category.value != "help_request":
                continue
            self.counts.help_requests += 1
            if self._rng.random() < HELP_RESOLVED_SHARE:
                helper = p.commenters[0][0] if p.commenters and self._rng.random() < 0.8 else None
                last = max((m for _, m in p.commenters), default=p.created_at)
                resolutions.append((p.id, helper, min(self._end, last + 2 * HOUR)))

        def put(conn, batch) -> None:
            for (moment, post, user_id), (text, html) in batch:
                comments_store.put_comment(conn, post.id, user_id, text, html, moment)

        for chunk in _batches(list(zip(comments, texts, strict=True))):
            await self._db.write("demo_comments", put, chunk)

        def resolve(conn, batch) -> None:
            for post_id, helper, moment in batch:
                posts_store.update_post_resolved(conn, post_id, helper, moment)

        for chunk in _batches(resolutions):
            await self._db.write("demo_help_resolved", resolve, chunk)
        self.counts.comments += len(comments)
        self.counts.help_resolved += len(resolutions)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


async def write_node_life(
    config: Config,
    plan: NodePlan,
    logins: Logins,
    password_hash: str,
    rng: random.Random,
    now: int | None = None,
) -> tuple[LifeCounts, list[int]]:
    """Open the node's database, write its generated life, close it. Returns the counts and
    the residents' user ids."""
    db = await Database.open(config.database_path, config.database.busy_timeout_ms, 1)
    try:
        life = NodeLife(db, config, plan, logins, password_hash, rng, now or int(time.time()))
        return await life.write(), life.resident_ids
    finally:
        await db.close()
