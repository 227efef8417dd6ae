"""Accounts: sign-up by household code or by request, sign-in, sessions, links and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from node.config import SecuritySettings
from node.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from node.models import ApiToken, JoinRequest, Role, User, UserStatus
from node.rate_limits import SlidingWindowLimiter
from node.services import invitation_codes
from node.services.passwords import hash_password, password_problem, verify_password
from node.storage import credentials as credentials_store
from node.storage import households as households_store
from node.storage import neighbourhoods as neighbourhoods_store
from node.storage import users as users_store
from node.storage.database import Database
from node.storage.read_cache import ReadCache, until_any_write

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
DAY = 86_400


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewAccount:
    email: str
    display_name: str
    password: str
    locale: str | None = None


def _check_account_fields(account: NewAccount, password_confirmation: str | None) -> NewAccount:
    """Validate the fields every sign-up form shares; raise InvalidInput naming each bad one."""
    problems: dict[str, str] = {}
    email = account.email.strip()
    name = " ".join(account.display_name.split())
    if not name:
        problems["display_name"] = N_("Enter the name your neighbours will see.")
    elif len(name) > 80:
        problems["display_name"] = N_("Use at most 80 characters for your name.")
    if not email:
        problems["email"] = N_("Enter your e-mail address.")
    elif len(email) > 254 or not _EMAIL.match(email):
        problems["email"] = N_("Enter an e-mail address like name@example.org.")
    problem = password_problem(account.password)
    if problem:
        problems["password"] = problem
    elif password_confirmation is not None and password_confirmation != account.password:
        problems["password_confirmation"] = N_("The two passwords are not the same.")
    if problems:
        raise InvalidInput(problems)
    return NewAccount(email, name, account.password, account.locale)


class Accounts:
    """Use cases around who someone is. Explicit dependencies; no HTTP, no SQL."""

    def __init__(
        self,
        db: Database,
        settings: SecuritySettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        window = settings.login_window_minutes * 60
        self.login_limiter = SlidingWindowLimiter(settings.login_max_failures, window)
        self.code_limiter = SlidingWindowLimiter(settings.signup_max_attempts, window)
        # Session token -> (user, expiry): every page asks, few sessions change. Any write
        # (sign-out, suspension, role or neighbourhood change) makes the next request read
        # the database again, so a revoked session is refused at once.
        self._sessions: ReadCache[str, tuple[User, int]] = until_any_write(db)

    def _now(self) -> int:
        return int(self._clock())

    # -- signing in -------------------------------------------------------------------------

    async def authenticate(self, email: str, password: str, client: str) -> User:
        """The user behind an e-mail and password, or an error a person can act on."""
        email = email.strip()
        keys = (f"client:{client}", f"account:{email.casefold()}")
        wait = max(self.login_limiter.retry_after(key) for key in keys)
        if wait:
            raise TooManyRequests(
                N_("Too many failed sign-ins. Try again in %(minutes)d minute(s)."),
                retry_after=wait,
                minutes=max(1, (wait + 59) // 60),
            )
        user = await self._db.read("get_user_by_email", users_store.get_user_by_email, email)
        if not await verify_password(user.password_hash if user else "", password):
            for key in keys:
                self.login_limiter.record(key)
            raise InvalidInput({"email": N_("The e-mail address or the password is not right.")})
        self.login_limiter.reset(keys[1])
        if user.status is UserStatus.PENDING:
            raise Forbidden(N_("Your request to join is waiting for a moderator's approval."))
        if user.status is not UserStatus.ACTIVE:
            raise Forbidden(
                N_(
                    "This account cannot sign in. Contact your neighbourhood's "
                    "moderator or the node's administrator."
                )
            )
        return user

    async def start_session(self, user: User) -> str:
        """Open a session; return the secret for the cookie (only its hash is stored)."""
        token = new_secret()
        now = self._now()
        expires = now + self._settings.session_days * DAY
        await self._db.write(
            "start_session",
            credentials_store.put_session,
            secret_hash(token),
            user.id,
            now,
            expires,
        )
        return token

    async def user_for_session(self, token: str) -> User | None:
        now = self._now()
        # Remembered by the token itself, so a cached session costs no hashing (the hash
        # showed in a cached feed page's profile); the database only ever sees the hash.
        found = self._sessions.get(token)
        if found is None:
            version = self._sessions.version()
            found = await self._db.read(
                "get_user_by_session", credentials_store.get_session_user, secret_hash(token), now
            )
            if found is None:
                return None  # unknown tokens are not remembered: guessing fills no memory
            self._sessions.put(token, found, version)
        user, expires_at = found
        return user if expires_at > now and user.is_active else None

    async def end_session(self, token: str) -> None:
        await self._db.write("end_session", credentials_store.delete_session, secret_hash(token))

    # -- joining ----------------------------------------------------------------------------

    async def sign_up_with_code(
        self, code: str, account: NewAccount, client: str, password_confirmation: str | None
    ) -> User:
        """A resident joins the neighbourhood of the household whose letter they hold."""
        key = f"client:{client}"
        wait = self.code_limiter.retry_after(key)
        if wait:
            raise TooManyRequests(
                N_("Too many codes tried. Try again in %(minutes)d minute(s)."),
                retry_after=wait,
                minutes=max(1, (wait + 59) // 60),
            )
        normalised = invitation_codes.normalise_code(code)
        problems: dict[str, str] = {}
        if normalised is None:
            problems["code"] = N_("Enter the 10-character code from your letter, like K7QM4-XRT9P.")
        try:
            account = _check_account_fields(account, password_confirmation)
        except InvalidInput as exc:
            problems.update({name: message for name, (message, _) in exc.fields.items()})
        if problems:
            if "code" in problems:
                self.code_limiter.record(key)
            raise InvalidInput(problems)
        password_hash = await hash_password(account.password)

        def sign_up(conn):
            household = households_store.get_household_by_active_code(conn, normalised)
            if household is None:
                revoked = households_store.is_revoked_code(conn, normalised)
                self.code_limiter.record(key)
                raise InvalidInput(
                    {
                        "code": N_(
                            "This code has been replaced by a newer one. Use the code from your "
                            "most recent letter, or ask the city for a new one."
                        )
                        if revoked
                        else N_("This code is not valid. Check it against your letter.")
                    }
                )
            if users_store.email_exists(conn, account.email):
                raise InvalidInput(
                    {"email": N_("An account already uses this e-mail address. Sign in instead.")}
                )
            return users_store.put_user(
                conn,
                email=account.email,
                display_name=account.display_name,
                password_hash=password_hash,
                role=Role.RESIDENT,
                status=UserStatus.ACTIVE,
                neighbourhood_id=household.neighbourhood_id,
                household_id=household.id,
                locale=account.locale,
                now=self._now(),
            )

        return await self._db.write("sign_up_with_code", sign_up)

    async def request_to_join(
        self,
        neighbourhood_id: int | None,
        address: str,
        message: str,
        account: NewAccount,
        password_confirmation: str | None,
    ) -> User:
        """Someone without a code asks to join; their account waits for a moderator."""
        problems: dict[str, str] = {}
        address = " ".join(address.split())
        if neighbourhood_id is None:
            problems["neighbourhood"] = N_("Choose the neighbourhood you live in.")
        if not 5 <= len(address) <= 200:
            problems["address"] = N_("Enter your street, house number and postcode.")
        if len(message) > 1000:
            problems["message"] = N_("Use at most 1000 characters.")
        try:
            account = _check_account_fields(account, password_confirmation)
        except InvalidInput as exc:
            problems.update({name: m for name, (m, _) in exc.fields.items()})
        if problems:
            raise InvalidInput(problems)
        password_hash = await hash_password(account.password)

        def request(conn):
            if neighbourhoods_store.get_neighbourhood_by_id(conn, neighbourhood_id) is None:
                raise InvalidInput({"neighbourhood": N_("Choose the neighbourhood you live in.")})
            if users_store.email_exists(conn, account.email):
                raise InvalidInput(
                    {"email": N_("An account already uses this e-mail address. Sign in instead.")}
                )
            now = self._now()
            user = users_store.put_user(
                conn,
                email=account.email,
                display_name=account.display_name,
                password_hash=password_hash,
                role=Role.RESIDENT,
                status=UserStatus.PENDING,
                neighbourhood_id=neighbourhood_id,
                household_id=None,
                locale=account.locale,
                now=now,
            )
            users_store.put_join_request(
                conn, user.id, neighbourhood_id, address, message.strip(), now
            )
            return user

        return await self._db.write("request_to_join", request)

    async def open_join_requests(self, viewer: User) -> list[JoinRequest]:
        """Requests a moderator may decide: their own neighbourhood's; an admin sees all."""
        scope = None if viewer.role is Role.ADMIN else viewer.neighbourhood_id
        if viewer.role not in (Role.ADMIN, Role.MODERATOR):
            raise Forbidden(N_("Only moderators decide on requests to join."))
        return await self._db.read(
            "list_open_join_requests", users_store.list_open_join_requests, scope
        )

    async def decide_join_request(self, viewer: User, request_id: int, approve: bool) -> User:
        def decide(conn):
            request = users_store.get_open_join_request(conn, request_id)
            if request is None:
                raise NotFound(N_("This request has already been decided or does not exist."))
            allowed = viewer.role is Role.ADMIN or (
                viewer.role is Role.MODERATOR
                and viewer.neighbourhood_id == request.neighbourhood_id
            )
            if not allowed:
                raise Forbidden(N_("Only a moderator of that neighbourhood can decide."))
            users_store.decide_join_request(
                conn, request_id, viewer.id, "approved" if approve else "declined", self._now()
            )
            status = UserStatus.ACTIVE if approve else UserStatus.DECLINED
            users_store.update_user_status(conn, request.user.id, status)
            return users_store.get_user_by_id(conn, request.user.id)

        return await self._db.write("decide_join_request", decide)

    # -- accounts an admin creates ----------------------------------------------------------

    async def create_user(
        self,
        email: str,
        display_name: str,
        role: Role,
        neighbourhood_slug: str | None = None,
        password: str | None = None,
    ) -> User:
        """Create an account of any role. Without a password, the admin sends a reset link."""
        problems: dict[str, str] = {}
        try:
            _check_account_fields(NewAccount(email, display_name, password or "x" * 10), None)
        except InvalidInput as exc:
            problems.update({name: m for name, (m, _) in exc.fields.items()})
        if password is not None and password_problem(password):
            problems["password"] = password_problem(password)  # type: ignore[assignment]
        if role.belongs_to_neighbourhood and not neighbourhood_slug:
            problems["neighbourhood"] = N_("Residents and moderators belong to a neighbourhood.")
        if problems:
            raise InvalidInput(problems)
        password_hash = await hash_password(password) if password else ""

        def create(conn):
            neighbourhood_id = None
            if role.belongs_to_neighbourhood:
                neighbourhood = neighbourhoods_store.get_neighbourhood_by_slug(
                    conn, neighbourhood_slug
                )
                if neighbourhood is None:
                    raise InvalidInput(
                        {
                            "neighbourhood": (
                                N_("There is no neighbourhood %(slug)s."),
                                {"slug": neighbourhood_slug},
                            )
                        }
                    )
                neighbourhood_id = neighbourhood.id
            if users_store.email_exists(conn, email.strip()):
                raise Conflict(
                    N_("An account already uses the e-mail address %(email)s."), email=email.strip()
                )
            return users_store.put_user(
                conn,
                email=email.strip(),
                display_name=" ".join(display_name.split()),
                password_hash=password_hash,
                role=role,
                status=UserStatus.ACTIVE,
                neighbourhood_id=neighbourhood_id,
                household_id=None,
                locale=None,
                now=self._now(),
            )

        return await self._db.write("create_user", create)

    async def staff_users(self) -> list[User]:
        return await self._db.read("list_staff_users", users_store.list_staff_users)

    async def user_by_email(self, email: str) -> User | None:
        return await self._db.read("get_user_by_email", users_store.get_user_by_email, email)

    async def set_locale(self, user: User, locale: str) -> None:
        await self._db.write("update_user_locale", users_store.update_user_locale, user.id, locale)

    # -- one-time links: first admin, password reset ----------------------------------------

    async def create_setup_link_if_no_admin(self) -> str | None:
        """A secret for /setup/<secret>, only while the node has no administrator."""
        token = new_secret()
        now = self._now()

        def create(conn):
            if users_store.count_users_with_role(conn, Role.ADMIN):
                return None
            credentials_store.put_one_time_link(
                conn,
                secret_hash(token),
                "setup",
                None,
                now,
                now + self._settings.reset_link_hours * 3600,
            )
            return token

        return await self._db.write("create_setup_link", create)

    async def setup_link_is_usable(self, token: str) -> bool:
        return await self._link_is_usable(token, "setup")

    async def complete_setup(
        self, token: str, account: NewAccount, password_confirmation: str
    ) -> User:
        account = _check_account_fields(account, password_confirmation)
        password_hash = await hash_password(account.password)

        def setup(conn):
            now = self._now()
            link = credentials_store.get_usable_one_time_link(
                conn, secret_hash(token), "setup", now
            )
            if link is None or users_store.count_users_with_role(conn, Role.ADMIN):
                raise NotFound(N_("This setup link has expired or has already been used."))
            credentials_store.use_one_time_link(conn, link.id, now)
            return users_store.put_user(
                conn,
                email=account.email,
                display_name=account.display_name,
                password_hash=password_hash,
                role=Role.ADMIN,
                status=UserStatus.ACTIVE,
                neighbourhood_id=None,
                household_id=None,
                locale=account.locale,
                now=now,
            )

        return await self._db.write("complete_setup", setup)

    async def create_reset_link(self, user_id: int) -> str:
        """A secret for /reset/<secret>; earlier unused links of that user stop working."""
        token = new_secret()

        def create(conn):
            if users_store.get_user_by_id(conn, user_id) is None:
                raise NotFound(N_("There is no such account."))
            now = self._now()
            credentials_store.expire_links_of_user(conn, user_id, "reset", now)
            credentials_store.put_one_time_link(
                conn,
                secret_hash(token),
                "reset",
                user_id,
                now,
                now + self._settings.reset_link_hours * 3600,
            )
            return token

        return await self._db.write("create_reset_link", create)

    async def reset_link_is_usable(self, token: str) -> bool:
        return await self._link_is_usable(token, "reset")

    async def reset_password(self, token: str, password: str, confirmation: str) -> User:
        problem = password_problem(password)
        if problem:
            raise InvalidInput({"password": problem})
        if password != confirmation:
            raise InvalidInput({"password_confirmation": N_("The two passwords are not the same.")})
        password_hash = await hash_password(password)

        def reset(conn):
            now = self._now()
            link = credentials_store.get_usable_one_time_link(
                conn, secret_hash(token), "reset", now
            )
            if link is None:
                raise NotFound(
                    N_(
                        "This link has expired or has already been used. "
                        "Ask your administrator for a new one."
                    )
                )
            credentials_store.use_one_time_link(conn, link.id, now)
            users_store.update_user_password(conn, link.user_id, password_hash)
            # A reset ends every session: whoever knew the old password is signed out.
            credentials_store.delete_sessions_of_user(conn, link.user_id)
            return users_store.get_user_by_id(conn, link.user_id)

        return await self._db.write("reset_password", reset)

    async def _link_is_usable(self, token: str, purpose: str) -> bool:
        link = await self._db.read(
            "get_usable_one_time_link",
            credentials_store.get_usable_one_time_link,
            secret_hash(token),
            purpose,
            self._now(),
        )
        return link is not None

    # -- API tokens -------------------------------------------------------------------------

    async def create_api_token(self, user: User, name: str) -> tuple[ApiToken, str]:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 80:
            raise InvalidInput({"name": N_("Name the token after the script that will use it.")})
        secret = "qt_" + new_secret()
        token = await self._db.write(
            "create_api_token",
            credentials_store.put_api_token,
            secret_hash(secret),
            user.id,
            name,
            self._now(),
        )
        return token, secret

    async def user_for_api_token(self, secret: str) -> User | None:
        digest = secret_hash(secret)
        user = await self._db.read(
            "get_user_by_api_token", credentials_store.get_user_by_api_token, digest
        )
        return user if user and user.is_active else None

    async def api_tokens(self, user: User) -> list[ApiToken]:
        return await self._db.read("list_api_tokens", credentials_store.list_api_tokens, user.id)

    async def revoke_api_token(self, user: User, token_id: int) -> None:
        revoked = await self._db.write(
            "revoke_api_token", credentials_store.revoke_api_token, token_id, user.id, self._now()
        )
        if not revoked:
            raise NotFound(N_("There is no such token."))
