"""Moderation: reports, the queue, hiding, warnings, suspensions, house rules, audit log.

Scope is decided here, in the queries' where clauses: a moderator acts on their own
neighbourhood only, an admin on every one, and nobody else on any. Something outside a
moderator's neighbourhood answers NotFound, so its existence is not confirmed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from node.config import Config
from node.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from node.models import Neighbourhood, Role, User, UserStatus
from node.models.moderation import (
    HouseRules,
    ItemKind,
    ItemTarget,
    Member,
    MemberAction,
    ModerationAction,
    Notice,
    Report,
    ReportedItem,
    ReportReason,
)
from node.services.rich_text import render_markdown
from node.storage import credentials as credentials_store
from node.storage import moderation as store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import users as users_store
from node.storage.database import Database
from node.storage.notifications import put_notification

MAX_DETAILS = 500
MAX_NOTE = 1000
MAX_RULES = 10_000
PAGE_SIZE = 50

_NEW_STATUS = {ModerationAction.HIDE: "hidden", ModerationAction.RESTORE: "visible"}
_OUTCOME = {
    ModerationAction.HIDE: "hidden",
    ModerationAction.RESTORE: "restored",
    ModerationAction.DISMISS: "kept",
}


@dataclass(frozen=True)
class ActionResult:
    """What an action on an item changed: handlers drop that neighbourhood's cached feed."""

    neighbourhood_id: int
    status: str
    reports_resolved: int


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    pages: int


def _page(items: list, total: int, page: int, size: int) -> Page:
    return Page(items, total, page, max(1, (total + size - 1) // size))


def _clean_note(note: str, field: str = "note", required: bool = False) -> str:
    note = note.strip()
    if required and not note:
        raise InvalidInput({field: N_("Write a few words for the member.")})
    if len(note) > MAX_NOTE:
        raise InvalidInput({field: (N_("Use at most %(max)d characters."), {"max": MAX_NOTE})})
    return note


class Moderation:
    """Use cases of a neighbourhood's moderators, and of residents reporting content."""

    def __init__(
        self,
        db: Database,
        config: Config,
        clock: Callable[[], float] = time.time,
        feed_changed: Callable[[int], None] = lambda neighbourhood_id: None,
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        # Hiding or restoring changes what the neighbourhood's (cached) feed shows.
        self._feed_changed = feed_changed
        # Rendered house rules by neighbourhood, with the source they were rendered from:
        # every resident reads them, a moderator rarely changes them.
        self._rules_html: dict[int, tuple[str, str]] = {}

    def _now(self) -> int:
        return int(self._clock())

    @staticmethod
    def _scope(viewer: User, neighbourhood_id: int | None = None) -> int | None:
        """The neighbourhood a moderator may see, or the admin's filter (None: all)."""
        if viewer.role is Role.ADMIN:
            return neighbourhood_id
        if viewer.role is Role.MODERATOR and viewer.is_active and viewer.neighbourhood_id:
            return viewer.neighbourhood_id
        raise Forbidden(N_("Only moderators can do this."))

    @staticmethod
    def _in_scope(viewer: User, neighbourhood_id: int) -> bool:
        return viewer.role is Role.ADMIN or viewer.neighbourhood_id == neighbourhood_id

    @staticmethod
    def _require_resident(user: User) -> int:
        if not user.role.belongs_to_neighbourhood or user.neighbourhood_id is None:
            raise Forbidden(N_("Only residents of a neighbourhood can do this."))
        return user.neighbourhood_id

    # -- reporting --------------------------------------------------------------------------

    async def report(
        self, reporter: User, kind: ItemKind, item_id: int, reason: str, details: str
    ) -> Report:
        """A resident reports a post or comment they can see; the moderators are notified."""
        home = self._require_resident(reporter)
        details = details.strip()
        problems: dict[str, str | tuple[str, dict]] = {}
        try:
            chosen = ReportReason(reason)
        except ValueError:
            chosen = None
            problems["reason"] = N_("Choose why you are reporting this.")
        if len(details) > MAX_DETAILS:
            problems["details"] = (N_("Use at most %(max)d characters."), {"max": MAX_DETAILS})
        elif chosen is ReportReason.OTHER and not details:
            problems["details"] = N_("Tell the moderators what is wrong.")
        if problems:
            raise InvalidInput(problems)

        def put(conn):
            if kind is ItemKind.POST:
                target = store.get_visible_post_target(conn, item_id, home)
            else:
                target = store.get_visible_comment_target(conn, item_id, home)
            if target is None:
                raise NotFound(N_("This post or comment does not exist or is no longer shown."))
            if store.has_open_report(conn, reporter.id, kind, item_id):
                raise Conflict(
                    N_("You have already reported this. A moderator will look at it soon.")
                )
            now = self._now()
            report = store.put_report(
                conn,
                neighbourhood_id=target.neighbourhood_id,
                kind=kind,
                item_id=item_id,
                reporter_id=reporter.id,
                reason=chosen,
                details=details,
                now=now,
            )
            # Moderators are not told who reported: they judge the content, not the reporter.
            for moderator_id in store.list_moderator_ids_by_neighbourhood(
                conn, target.neighbourhood_id
            ):
                if moderator_id != reporter.id:
                    put_notification(
                        conn,
                        user_id=moderator_id,
                        kind="report",
                        actor_id=None,
                        now=now,
                        post_id=target.post_id,
                    )
            return report

        return await self._db.write("put_report", put)

    async def reportable(self, reporter: User, kind: ItemKind, item_id: int) -> ItemTarget:
        """The item, if the resident can see (and so report) it; NotFound otherwise."""
        home = self._require_resident(reporter)
        fetch = (
            store.get_visible_post_target
            if kind is ItemKind.POST
            else store.get_visible_comment_target
        )
        target = await self._db.read("get_visible_item", fetch, item_id, home)
        if target is None:
            raise NotFound(N_("This post or comment does not exist or is no longer shown."))
        return target

    # -- the queue --------------------------------------------------------------------------

    async def queue(self, viewer: User, neighbourhood_id: int | None = None) -> list[ReportedItem]:
        """Open reports grouped per item: the moderator's neighbourhood (admins: all)."""
        scope = self._scope(viewer, neighbourhood_id)
        return await self._db.read(
            "list_open_reported_items", store.list_open_reported_items, scope
        )

    async def act_on_item(
        self,
        viewer: User,
        kind: ItemKind,
        item_id: int,
        action: str,
        note: str = "",
    ) -> ActionResult:
        """Hide, restore or keep a post or comment; resolve its open reports; log it."""
        self._scope(viewer)
        try:
            chosen = ModerationAction(action)
        except ValueError:
            raise InvalidInput({"action": N_("Choose hide, restore or keep.")}) from None
        note = _clean_note(note)

        def act(conn):
            if kind is ItemKind.POST:
                target = store.get_post_target(conn, item_id)
            else:
                target = store.get_comment_target(conn, item_id)
            if target is None or not self._in_scope(viewer, target.neighbourhood_id):
                raise NotFound(N_("This post or comment does not exist or has been deleted."))
            now = self._now()
            status = _NEW_STATUS.get(chosen, target.status)
            if status != target.status:
                if kind is ItemKind.POST:
                    store.update_post_status(conn, item_id, status)
                else:
                    store.update_comment_status(conn, item_id, status)
            resolved = store.resolve_open_reports(
                conn, kind, item_id, viewer.id, _OUTCOME[chosen], now
            )
            if chosen is ModerationAction.DISMISS:
                log_action = "dismiss_report"
            else:
                log_action = f"{chosen.value}_{kind.value}"
            store.put_log_entry(
                conn,
                neighbourhood_id=target.neighbourhood_id,
                moderator_id=viewer.id,
                action=log_action,
                now=now,
                target_user_id=target.author_id,
                post_id=target.post_id,
                comment_id=item_id if kind is ItemKind.COMMENT else None,
                note=note,
            )
            return ActionResult(target.neighbourhood_id, status, resolved)

        result = await self._db.write("moderate_item", act)
        self._feed_changed(result.neighbourhood_id)
        return result

    # -- members ----------------------------------------------------------------------------

    async def members(
        self, viewer: User, neighbourhood_id: int | None = None, page: int = 1
    ) -> Page:
        scope = self._scope(viewer, neighbourhood_id)
        page = max(1, page)
        members, total = await self._db.read(
            "list_members", store.list_members, scope, PAGE_SIZE, (page - 1) * PAGE_SIZE
        )
        return _page(members, total, page, PAGE_SIZE)

    async def member(self, viewer: User, user_id: int) -> tuple[Member, list[Notice]]:
        """One member with the warnings and suspensions concerning them."""
        self._scope(viewer)

        def read(conn):
            member = store.get_member(conn, user_id)
            if member is None or not self._in_scope(viewer, member.neighbourhood_id):
                raise NotFound(N_("There is no such member in your neighbourhood."))
            return member, store.list_notices_by_user(conn, user_id)

        return await self._db.read("get_member", read)

    async def act_on_member(
        self, viewer: User, user_id: int, action: str, note: str = ""
    ) -> Member:
        """Warn, suspend or unsuspend a member of the moderator's neighbourhood."""
        self._scope(viewer)
        try:
            chosen = MemberAction(action)
        except ValueError:
            raise InvalidInput({"action": N_("Choose warn, suspend or unsuspend.")}) from None
        note = _clean_note(note, required=chosen is MemberAction.WARN)

        def act(conn):
            member = store.get_member(conn, user_id)
            if member is None:
                role = store.get_role_of_user(conn, user_id)
                if role is Role.ADMIN and chosen is not MemberAction.WARN:
                    raise Forbidden(N_("An administrator cannot be suspended by a moderator."))
                raise NotFound(N_("There is no such member in your neighbourhood."))
            if not self._in_scope(viewer, member.neighbourhood_id):
                raise NotFound(N_("There is no such member in your neighbourhood."))
            if member.id == viewer.id:
                raise Forbidden(N_("You cannot do this to your own account."))
            if chosen is not MemberAction.WARN:
                if member.role is Role.MODERATOR and viewer.role is not Role.ADMIN:
                    raise Forbidden(
                        N_("Only an administrator can suspend or unsuspend a moderator.")
                    )
                wanted = (
                    UserStatus.ACTIVE if chosen is MemberAction.SUSPEND else (UserStatus.SUSPENDED)
                )
                if member.status is not wanted:
                    raise Conflict(
                        N_("This member is already suspended.")
                        if chosen is MemberAction.SUSPEND
                        else N_("This member is not suspended.")
                    )
            now = self._now()
            if chosen is MemberAction.WARN:
                put_notification(
                    conn, user_id=member.id, kind="warning", actor_id=viewer.id, now=now
                )
            elif chosen is MemberAction.SUSPEND:
                users_store.update_user_status(conn, member.id, UserStatus.SUSPENDED)
                # The session check refuses suspended users already; removing the sessions
                # as well means a later unsuspension does not revive old cookies.
                credentials_store.delete_sessions_of_user(conn, member.id)
            else:
                users_store.update_user_status(conn, member.id, UserStatus.ACTIVE)
            store.put_log_entry(
                conn,
                neighbourhood_id=member.neighbourhood_id,
                moderator_id=viewer.id,
                action=chosen.value,
                now=now,
                target_user_id=member.id,
                note=note,
            )
            return store.get_member(conn, member.id)

        return await self._db.write("moderate_member", act)

    async def notices_for(self, user: User) -> list[Notice]:
        """Warnings and suspensions concerning the user, for their own eyes."""
        return await self._db.read("list_notices_by_user", store.list_notices_by_user, user.id)

    # -- house rules ------------------------------------------------------------------------

    def _rendered(self, rules: HouseRules) -> HouseRules:
        cached = self._rules_html.get(rules.neighbourhood_id)
        if cached is None or cached[0] != rules.body:
            cached = (rules.body, render_markdown(rules.body) if rules.body.strip() else "")
            self._rules_html[rules.neighbourhood_id] = cached
        return dataclasses.replace(rules, body_html=cached[1])

    async def rules_for(self, user: User) -> HouseRules:
        """The house rules of the resident's own neighbourhood."""
        home = self._require_resident(user)
        rules = await self._db.read("get_house_rules", store.get_house_rules, home)
        if rules is None:
            raise NotFound(N_("There is no such neighbourhood."))
        return self._rendered(rules)

    async def rules_to_edit(self, viewer: User, neighbourhood_id: int | None = None) -> HouseRules:
        """The rules a moderator edits; an admin names the neighbourhood."""
        scope = self._scope(viewer, neighbourhood_id)
        if scope is None:
            raise InvalidInput({"neighbourhood": N_("Choose a neighbourhood.")})
        rules = await self._db.read("get_house_rules", store.get_house_rules, scope)
        if rules is None:
            raise NotFound(N_("There is no such neighbourhood."))
        return self._rendered(rules)

    async def update_rules(
        self, viewer: User, body: str, neighbourhood_id: int | None = None
    ) -> HouseRules:
        scope = self._scope(viewer, neighbourhood_id)
        if scope is None:
            raise InvalidInput({"neighbourhood": N_("Choose a neighbourhood.")})
        body = body.strip().replace("\r\n", "\n")
        if len(body) > MAX_RULES:
            raise InvalidInput(
                {"body": (N_("Use at most %(max)d characters."), {"max": MAX_RULES})}
            )

        def update(conn):
            if neighbourhoods_store.get_neighbourhood_by_id(conn, scope) is None:
                raise NotFound(N_("There is no such neighbourhood."))
            now = self._now()
            store.put_house_rules(conn, scope, body, viewer.id, now)
            store.put_log_entry(
                conn, neighbourhood_id=scope, moderator_id=viewer.id, action="edit_rules", now=now
            )
            return store.get_house_rules(conn, scope)

        return self._rendered(await self._db.write("put_house_rules", update))

    # -- audit log --------------------------------------------------------------------------

    async def log(self, viewer: User, neighbourhood_id: int | None = None, page: int = 1) -> Page:
        """The neighbourhood's moderation log, newest first (admins: every neighbourhood)."""
        scope = self._scope(viewer, neighbourhood_id)
        page = max(1, page)
        entries, total = await self._db.read(
            "list_log_entries", store.list_log_entries, scope, PAGE_SIZE, (page - 1) * PAGE_SIZE
        )
        return _page(entries, total, page, PAGE_SIZE)

    async def neighbourhoods_for(self, viewer: User) -> list[Neighbourhood]:
        """Neighbourhoods a moderator's pages may be filtered by: an admin's choice."""
        self._scope(viewer)
        if viewer.role is not Role.ADMIN:
            return []
        return await self._db.read("list_neighbourhoods", neighbourhoods_store.list_neighbourhoods)
