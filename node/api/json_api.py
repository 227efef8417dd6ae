"""The JSON API under /api/v1, for scripts (Bearer tokens). Each operation is declared once:
its route, access rule, request and response schema; the OpenAPI document is built from that."""

from __future__ import annotations

from aiohttp import web

from node.api.access import ADMIN, CITY, MODERATORS, SIGNED_IN, access
from node.api.app_keys import ACCOUNTS, CONFIG, REGISTER, USER_KEY
from node.api.operations import Operation, json_body
from node.api.params import MAX_PAGE, query_int
from node.errors import N_, InvalidInput
from node.models import ApiToken, HouseholdInvitation, Role, User


def _user_json(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
        "status": user.status.value,
        "neighbourhood_id": user.neighbourhood_id,
    }


def _household_json(item: HouseholdInvitation) -> dict:
    h = item.household
    return {
        "id": h.id,
        "neighbourhood_id": h.neighbourhood_id,
        "neighbourhood": item.neighbourhood_name,
        "street": h.street,
        "number": h.number,
        "box": h.box,
        "postcode": h.postcode,
        "municipality": h.municipality,
        "code": item.code,
        "residents": item.residents,
    }


def _token_json(token: ApiToken, secret: str | None = None) -> dict:
    body = {
        "id": token.id,
        "name": token.name,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }
    if secret:
        body["secret"] = secret
    return body


@access(SIGNED_IN)
async def me_get(request: web.Request) -> web.Response:
    return web.json_response(_user_json(request[USER_KEY]))


@access(CITY)
async def neighbourhoods_list(request: web.Request) -> web.Response:
    summaries = await request.app[REGISTER].neighbourhood_summaries()
    return web.json_response(
        [
            {
                "id": s.neighbourhood.id,
                "slug": s.neighbourhood.slug,
                "name": s.neighbourhood.name,
                "households": s.households,
                "residents": s.residents,
            }
            for s in summaries
        ]
    )


@access(ADMIN)
async def neighbourhoods_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/neighbourhood-create")
    n = await request.app[REGISTER].create_neighbourhood(body["name"])
    return web.json_response({"id": n.id, "slug": n.slug, "name": n.name}, status=201)


@access(ADMIN)
async def addresses_import(request: web.Request) -> web.Response:
    if request.content_type not in ("text/csv", "application/octet-stream"):
        raise InvalidInput({"(body)": N_("Send the register as CSV with Content-Type: text/csv.")})
    result = await request.app[REGISTER].import_register(await request.read())
    return web.json_response(
        {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "codes_issued": result.codes_issued,
        }
    )


@access(ADMIN)
async def households_list(request: web.Request) -> web.Response:
    page = min(query_int(request, "page") or 1, MAX_PAGE)
    items, total = await request.app[REGISTER].household_page(
        query_int(request, "neighbourhood"), request.query.get("q", "")[:100], page, 100
    )
    response = web.json_response([_household_json(item) for item in items])
    response.headers["X-Total-Count"] = str(total)
    return response


@access(ADMIN)
async def household_code_reissue(request: web.Request) -> web.Response:
    code = await request.app[REGISTER].reissue_code(int(request.match_info["id"]))
    return web.json_response({"code": code}, status=201)


@access(ADMIN)
async def household_code_revoke(request: web.Request) -> web.Response:
    await request.app[REGISTER].revoke_code(int(request.match_info["id"]))
    return web.Response(status=204)


@access(ADMIN)
async def letters_pdf(request: web.Request) -> web.Response:
    pdf = await request.app[REGISTER].letters_pdf(query_int(request, "neighbourhood"))
    return web.Response(body=pdf, content_type="application/pdf")


@access(ADMIN)
async def users_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/user-create")
    accounts = request.app[ACCOUNTS]
    user = await accounts.create_user(
        body["email"], body["display_name"], Role(body["role"]), body.get("neighbourhood")
    )
    token = await accounts.create_reset_link(user.id)
    return web.json_response(
        {**_user_json(user), "password_link": f"{request.app[CONFIG].base_url}/reset/{token}"},
        status=201,
    )


@access(SIGNED_IN)
async def tokens_list(request: web.Request) -> web.Response:
    tokens = await request.app[ACCOUNTS].api_tokens(request[USER_KEY])
    return web.json_response([_token_json(t) for t in tokens])


@access(SIGNED_IN)
async def tokens_create(request: web.Request) -> web.Response:
    body = await json_body(request, "api/token-create")
    token, secret = await request.app[ACCOUNTS].create_api_token(request[USER_KEY], body["name"])
    return web.json_response(_token_json(token, secret), status=201)


@access(SIGNED_IN)
async def tokens_revoke(request: web.Request) -> web.Response:
    await request.app[ACCOUNTS].revoke_api_token(request[USER_KEY], int(request.match_info["id"]))
    return web.Response(status=204)


@access(MODERATORS)
async def join_requests_list(request: web.Request) -> web.Response:
    requests = await request.app[ACCOUNTS].open_join_requests(request[USER_KEY])
    return web.json_response(
        [
            {
                "id": r.id,
                "user": _user_json(r.user),
                "neighbourhood_id": r.neighbourhood_id,
                "address": r.address,
                "message": r.message,
                "created_at": r.created_at,
            }
            for r in requests
        ]
    )


@access(MODERATORS)
async def join_request_decide(request: web.Request) -> web.Response:
    body = await json_body(request, "api/join-request-decision")
    user = await request.app[ACCOUNTS].decide_join_request(
        request[USER_KEY], int(request.match_info["id"]), body["decision"] == "approve"
    )
    return web.json_response(_user_json(user))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET", "/api/v1/me", me_get, "The account behind the token", response_schema="api/user"
    ),
    Operation(
        "GET",
        "/api/v1/neighbourhoods",
        neighbourhoods_list,
        "Neighbourhoods with household and resident counts",
        response_schema="api/neighbourhood",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/neighbourhoods",
        neighbourhoods_create,
        "Create a neighbourhood",
        request_schema="api/neighbourhood-create",
        response_schema="api/neighbourhood",
        status=201,
    ),
    Operation(
        "POST",
        "/api/v1/addresses",
        addresses_import,
        "Import an address register (CSV: street, number, box, postcode, municipality,"
        " neighbourhood); all rows or none",
        request_type="text/csv",
        response_schema="api/import-result",
    ),
    Operation(
        "GET",
        "/api/v1/households",
        households_list,
        "Households with their invitation codes (100 per page; X-Total-Count)",
        response_schema="api/household",
        response_is_list=True,
        query=(
            ("neighbourhood", "integer", "Neighbourhood id"),
            ("q", "string", "Street contains, or postcode equals"),
            ("page", "integer", "Page, from 1"),
        ),
    ),
    Operation(
        "POST",
        "/api/v1/households/{id}/code",
        household_code_reissue,
        "Revoke the household's code and issue a new one",
        status=201,
    ),
    Operation(
        "DELETE",
        "/api/v1/households/{id}/code",
        household_code_revoke,
        "Revoke the household's code",
        status=204,
    ),
    Operation(
        "GET",
        "/api/v1/letters",
        letters_pdf,
        "Invitation letters as a printable PDF",
        response_type="application/pdf",
        query=(("neighbourhood", "integer", "Only this neighbourhood"),),
    ),
    Operation(
        "POST",
        "/api/v1/users",
        users_create,
        "Create an account; the answer holds a link to choose its password",
        request_schema="api/user-create",
        response_schema="api/user-created",
        status=201,
    ),
    Operation(
        "GET",
        "/api/v1/tokens",
        tokens_list,
        "Your API tokens",
        response_schema="api/api-token",
        response_is_list=True,
    ),
    Operation(
        "POST",
        "/api/v1/tokens",
        tokens_create,
        "Create an API token; its secret is shown only in this answer",
        request_schema="api/token-create",
        response_schema="api/api-token",
        status=201,
    ),
    Operation(
        "DELETE", "/api/v1/tokens/{id}", tokens_revoke, "Revoke one of your tokens", status=204
    ),
    Operation(
        "GET",
        "/api/v1/join-requests",
        join_requests_list,
        "Open requests to join (a moderator's own neighbourhood; admins see all)",
    ),
    Operation(
        "POST",
        "/api/v1/join-requests/{id}",
        join_request_decide,
        "Approve or decline a request to join",
        request_schema="api/join-request-decision",
        response_schema="api/user",
    ),
)
