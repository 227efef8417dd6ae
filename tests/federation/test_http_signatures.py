"""HTTP signatures: draft-cavage Appendix C and RFC 9421 Appendix B vectors, round trips."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from node.federation.http_signatures import (
    SignatureError,
    check_body_digest,
    content_digest_header,
    digest_header,
    parse_signature,
    sign_cavage,
    sign_rfc9421,
    verify_parsed,
)

VECTORS = Path(__file__).parent / "vectors"
BODY = b'{"type": "Create", "id": "https://a.example/activities/1"}'
INBOX = "https://b.example/inbox"
NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def _json(path: str) -> dict:
    return json.loads((VECTORS / path).read_text())


def _public_key(name: str):
    return load_pem_public_key((VECTORS / "rfc9421" / name).read_bytes())


def _private_key(name: str):
    return load_pem_private_key((VECTORS / "rfc9421" / name).read_bytes(), None)


@pytest.fixture(scope="module")
def cavage():
    return _json("cavage/draft-cavage-appendix-c.json")


@pytest.fixture(scope="module")
def rfc9421():
    return _json("rfc9421/vectors.json")


@pytest.fixture(scope="module")
def rsa_key():
    return _private_key("test-key-rsa.key")


@pytest.fixture(scope="module")
def ed25519_key():
    return _private_key("test-key-ed25519.key")


def _cavage_request(vector: dict, headers: str, signature: str):
    request = vector["request"]
    all_headers = {
        **request["headers"],
        "Signature": (
            f'keyId="{vector["keyId"]}",algorithm="{vector["algorithm"]}",'
            f'headers="{headers}",signature="{signature}"'
        ),
    }
    url = "https://" + request["headers"]["Host"] + request["path"]
    now = parsedate_to_datetime(request["headers"]["Date"])
    return request["method"], url, all_headers, request["body"].encode(), now


def _rfc9421_request(vector: dict, case: str):
    request = vector["request"]
    headers = {
        **request["headers"],
        "Signature-Input": vector[case]["signature_input"],
        "Signature": vector[case]["signature"],
    }
    created = int(re.search(r"created=(\d+)", vector[case]["signature_input"])[1])
    now = datetime.fromtimestamp(created, UTC)
    return request["method"], request["url"], headers, request["body"].encode(), now


# --- digests ------------------------------------------------------------------------------------


def test_digest_headers_of_the_cavage_body(cavage):
    body = cavage["request"]["body"].encode()

    assert digest_header(body) == cavage["request"]["headers"]["Digest"]
    assert content_digest_header(body) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"


def test_check_body_digest_accepts_each_published_digest(cavage, rfc9421):
    check_body_digest(cavage["request"]["headers"], cavage["request"]["body"].encode())
    # RFC 9421's request carries a sha-512 Content-Digest
    check_body_digest(rfc9421["request"]["headers"], rfc9421["request"]["body"].encode())


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Digest": digest_header(b"other")}, "Digest does not match the body"),
        ({"Content-Digest": content_digest_header(b"other")}, "Content-Digest does not match"),
        ({"Digest": "MD5=abc"}, "Digest header has no SHA-256 or SHA-512 value"),
        ({"Digest": "SHA-256=not base64!"}, "Digest header is not valid base64"),
        ({"Content-Digest": "sha-256=:abc"}, "Content-Digest header is malformed: expected"),
        ({"Content-Digest": "sha-256=abc"}, "Content-Digest header has no sha-256 or sha-512"),
        ({"Content-Digest": "md5=:AAAA:"}, "Content-Digest header has no sha-256 or sha-512"),
        ({"Content-Type": "application/json"}, "neither a Digest nor a Content-Digest header"),
        (
            {"Digest": digest_header(BODY), "Content-Digest": content_digest_header(b"x")},
            "Content-Digest does not match the body",
        ),
    ],
)
def test_check_body_digest_refusals(headers, reason):
    with pytest.raises(SignatureError, match=re.escape(reason)):
        check_body_digest(headers, BODY)


# --- draft-cavage Appendix C --------------------------------------------------------------------


def test_cavage_c2_basic_signing_string_and_signature(cavage):
    basic = cavage["basic_C2"]
    method, url, headers, body, now = _cavage_request(cavage, basic["headers"], basic["signature"])
    # C.2 signs no digest, so only a vector check without the federation's coverage policy passes
    parsed = parse_signature(method, url, headers, body, now=now, check_coverage=False)

    assert parsed.signing_base.decode() == basic["signing_string"]
    assert parsed.scheme == "cavage"
    assert parsed.key_id == "Test"
    assert parsed.algorithm == "rsa-sha256"
    assert parsed.covered == ("(request-target)", "host", "date")
    assert parsed.created == now
    verify_parsed(parsed, load_pem_public_key(cavage["public_key_pem"].encode()))
    # RSASSA-PKCS1-v1_5 is deterministic: signing the base we rebuilt gives the published bytes
    private_key = load_pem_private_key(cavage["private_key_pem"].encode(), None)
    signature = private_key.sign(parsed.signing_base, padding.PKCS1v15(), hashes.SHA256())
    assert base64.b64encode(signature).decode() == basic["signature"]


def test_sign_cavage_on_the_vector_request_uses_its_host_and_date(cavage):
    private_key = load_pem_private_key(cavage["private_key_pem"].encode(), None)
    method, url, headers, body, now = _cavage_request(cavage, "", "")

    added = sign_cavage(method, url, headers, body, "Test", private_key, now=now)

    assert added["Host"] == "example.com"
    assert added["Date"] == cavage["request"]["headers"]["Date"]
    assert added["Digest"] == cavage["request"]["headers"]["Digest"]
    parsed = parse_signature(method, url, {**headers, **added}, body, now=now)
    assert parsed.signing_base.decode() == (
        "(request-target): post /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT\n"
        "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
    )
    verify_parsed(parsed, load_pem_public_key(cavage["public_key_pem"].encode()))


def test_cavage_c2_is_refused_by_the_federation_policy_for_missing_digest(cavage):
    basic = cavage["basic_C2"]
    method, url, headers, body, now = _cavage_request(cavage, basic["headers"], basic["signature"])

    with pytest.raises(SignatureError, match=re.escape("Signature does not cover 'digest'")):
        parse_signature(method, url, headers, body, now=now)


def test_cavage_all_headers_vector_passes_every_check(cavage):
    vector = cavage["all_headers"]
    method, url, headers, body, now = _cavage_request(
        cavage, vector["headers"], vector["signature"]
    )

    parsed = parse_signature(method, url, headers, body, now=now)

    assert parsed.signing_base.decode() == (
        "(request-target): post /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT\n"
        "content-type: application/json\n"
        "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\n"
        "content-length: 18"
    )
    verify_parsed(parsed, load_pem_public_key(cavage["public_key_pem"].encode()))


# --- RFC 9421 Appendix B ------------------------------------------------------------------------


def test_rfc9421_b26_ed25519_base_and_signature(rfc9421, ed25519_key):
    method, url, headers, body, now = _rfc9421_request(rfc9421, "B.2.6_ed25519")

    parsed = parse_signature(method, url, headers, body, now=now, check_coverage=False)

    assert parsed.signing_base.decode() == rfc9421["B.2.6_ed25519"]["signature_base"]
    assert parsed.scheme == "rfc9421"
    assert parsed.label == "sig-b26"
    assert parsed.key_id == "test-key-ed25519"
    assert parsed.algorithm is None
    assert parsed.covered == (
        "date",
        "@method",
        "@path",
        "@authority",
        "content-type",
        "content-length",
    )
    verify_parsed(parsed, _public_key("test-key-ed25519.pem"))
    # Ed25519 is deterministic: signing the base we built gives the published bytes
    assert ed25519_key.sign(parsed.signing_base) == parsed.signature


def test_rfc9421_b26_is_refused_by_the_federation_policy(rfc9421):
    method, url, headers, body, now = _rfc9421_request(rfc9421, "B.2.6_ed25519")

    with pytest.raises(SignatureError, match=re.escape("Signature does not cover '@target-uri'")):
        parse_signature(method, url, headers, body, now=now)


def test_rfc9421_b21_rsa_pss_verifies(rfc9421):
    method, url, headers, body, now = _rfc9421_request(rfc9421, "B.2.1_rsa_pss_sha512")
    parsed = parse_signature(method, url, headers, body, now=now, check_coverage=False)

    assert parsed.signing_base.decode() == rfc9421["B.2.1_rsa_pss_sha512"]["signature_base"]
    assert parsed.covered == ()
    # the message names no alg: the key's owner binds it to rsa-pss-sha512
    verify_parsed(parsed, _public_key("test-key-rsa-pss.pem"), algorithm="rsa-pss-sha512")
    with pytest.raises(SignatureError, match="signature does not verify with key test-key-rsa-pss"):
        verify_parsed(parsed, _public_key("test-key-rsa-pss.pem"))


# --- round trips --------------------------------------------------------------------------------


def test_cavage_round_trip(rsa_key):
    added = sign_cavage("POST", INBOX, {}, BODY, "https://a.example/actor#main-key", rsa_key, NOW)

    assert set(added) == {"Host", "Date", "Digest", "Signature"}
    assert added["Host"] == "b.example"
    assert added["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert 'headers="(request-target) host date digest"' in added["Signature"]
    parsed = parse_signature("POST", INBOX, {"Content-Type": "x", **added}, BODY, now=NOW)
    assert parsed.key_id == "https://a.example/actor#main-key"
    assert parsed.covered == ("(request-target)", "host", "date", "digest")
    verify_parsed(parsed, rsa_key.public_key())


def test_cavage_round_trip_without_body(rsa_key):
    url = "https://b.example:8443/users/city?page=2"
    added = sign_cavage("GET", url, {"Accept": "x"}, None, "k", rsa_key, NOW)

    assert "Digest" not in added
    assert added["Host"] == "b.example:8443"
    parsed = parse_signature("GET", url, added, b"", now=NOW)
    assert parsed.signing_base.startswith(b"(request-target): get /users/city?page=2\n")
    verify_parsed(parsed, rsa_key.public_key())


@pytest.mark.parametrize("key_name", ["ed25519", "rsa"])
def test_rfc9421_round_trip(key_name, ed25519_key, rsa_key):
    private_key = ed25519_key if key_name == "ed25519" else rsa_key
    created = int(NOW.timestamp())

    added = sign_rfc9421("POST", INBOX, {}, BODY, "https://a.example/actor#k", private_key, created)

    algorithm = "ed25519" if key_name == "ed25519" else "rsa-v1_5-sha256"
    assert added["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest");created={created};'
        f'keyid="https://a.example/actor#k";alg="{algorithm}"'
    )
    assert added["Content-Digest"] == content_digest_header(BODY)
    parsed = parse_signature("POST", INBOX, added, BODY, now=NOW)
    assert parsed.algorithm == algorithm
    assert parsed.created == NOW
    assert parsed.signing_base.decode() == (
        '"@method": POST\n'
        f'"@target-uri": {INBOX}\n'
        f'"content-digest": {content_digest_header(BODY)}\n'
        f'"@signature-params": {added["Signature-Input"][5:]}'
    )
    verify_parsed(parsed, private_key.public_key())


def test_rfc9421_round_trip_without_body(ed25519_key):
    added = sign_rfc9421("GET", INBOX, {}, None, "k", ed25519_key, label="fetch")

    assert "Content-Digest" not in added
    assert added["Signature-Input"].startswith('fetch=("@method" "@target-uri");created=')
    verify_parsed(parse_signature("GET", INBOX, added, None), ed25519_key.public_key())


def test_rfc9421_is_preferred_when_both_schemes_are_present(rsa_key, ed25519_key):
    rfc = sign_rfc9421("POST", INBOX, {}, BODY, "rfc-key", ed25519_key, int(NOW.timestamp()))
    cavage = sign_cavage("POST", INBOX, {}, BODY, "cavage-key", rsa_key, NOW)
    headers = {
        **rfc,
        "Authorization": "Signature " + cavage["Signature"],
        "Digest": cavage["Digest"],
    }

    parsed = parse_signature("POST", INBOX, headers, BODY, now=NOW)

    assert parsed.scheme == "rfc9421"
    assert parsed.key_id == "rfc-key"


def test_cavage_in_authorization_header_and_mixed_case_names(rsa_key):
    added = sign_cavage("POST", INBOX, {}, BODY, "k", rsa_key, NOW)
    headers = {
        "HOST": added["Host"],
        "date": added["Date"],
        "DiGeSt": added["Digest"],
        "Authorization": "Signature " + added["Signature"],
    }

    parsed = parse_signature("POST", INBOX, headers, BODY, now=NOW)

    verify_parsed(parsed, rsa_key.public_key())


def test_cavage_hs2019_with_created_instead_of_date(rsa_key):
    created = int(NOW.timestamp())
    covered = "(request-target) host (created) digest"
    signing_string = (
        f"(request-target): post /inbox\nhost: b.example\n(created): {created}\n"
        f"digest: {digest_header(BODY)}"
    )
    signature = rsa_key.sign(signing_string.encode(), padding.PKCS1v15(), hashes.SHA256())
    headers = {
        "Host": "b.example",
        "Digest": digest_header(BODY),
        "Signature": (
            f'keyId="k",algorithm="hs2019",created={created},headers="{covered}",'
            f'signature="{base64.b64encode(signature).decode()}"'
        ),
    }

    parsed = parse_signature("POST", INBOX, headers, BODY, now=NOW)

    assert parsed.signing_base.decode() == signing_string
    assert parsed.created == NOW
    verify_parsed(parsed, rsa_key.public_key())
    _refused(
        "Signature 'created' is 2 hours old",
        *("POST", INBOX, headers, BODY),
        now=NOW + timedelta(hours=2),
    )


# --- refusals -----------------------------------------------------------------------------------


@pytest.fixture
def cavage_headers(rsa_key):
    return sign_cavage("POST", INBOX, {}, BODY, "https://a.example/actor#main-key", rsa_key, NOW)


@pytest.fixture
def rfc9421_headers(ed25519_key):
    created = int(NOW.timestamp())
    return sign_rfc9421("POST", INBOX, {}, BODY, "https://a.example/actor#k", ed25519_key, created)


def _refused(reason: str, *args, **kwargs) -> SignatureError:
    with pytest.raises(SignatureError, match=re.escape(reason)) as caught:
        parse_signature(*args, **kwargs)
    assert caught.value.reason == str(caught.value)
    return caught.value


def test_cavage_wrong_digest(cavage_headers):
    headers = {**cavage_headers, "Digest": digest_header(b"something else")}
    _refused("Digest does not match the body", "POST", INBOX, headers, BODY, now=NOW)


def test_cavage_body_changed(cavage_headers):
    _refused("Digest does not match the body", "POST", INBOX, cavage_headers, BODY + b" ", now=NOW)


def test_rfc9421_body_changed(rfc9421_headers):
    _refused(
        "Content-Digest does not match the body", "POST", INBOX, rfc9421_headers, b"{}", now=NOW
    )


def test_cavage_expired_date(cavage_headers):
    later = NOW + timedelta(hours=3)
    _refused(
        "Date header is 3 hours old (at most 65 minutes)",
        *("POST", INBOX, cavage_headers, BODY),
        now=later,
    )


def test_cavage_future_date(cavage_headers):
    earlier = NOW - timedelta(hours=2)
    _refused(
        "Date header is 2 hours in the future (at most 60 minutes)",
        *("POST", INBOX, cavage_headers, BODY),
        now=earlier,
    )


def test_cavage_clock_window_edges(cavage_headers, rsa_key):
    request = ("POST", INBOX, cavage_headers, BODY)
    parse_signature(*request, now=NOW + timedelta(minutes=64))
    parse_signature(*request, now=NOW - timedelta(minutes=59))
    _refused("Date header is 66 minutes old", *request, now=NOW + timedelta(minutes=66))
    # the window is a parameter
    _refused(
        "Date header is 10 minutes old (at most 5 minutes)",
        *request,
        now=NOW + timedelta(minutes=10),
        max_age=timedelta(minutes=5),
    )


def test_rfc9421_expired_and_future_created(rfc9421_headers):
    request = ("POST", INBOX, rfc9421_headers, BODY)
    _refused("Signature 'created' is 3 hours old", *request, now=NOW + timedelta(hours=3))
    _refused("Signature 'created' is 2 days in the future", *request, now=NOW - timedelta(days=2))


def test_rfc9421_expires_parameter(ed25519_key):
    added = sign_rfc9421("GET", INBOX, {}, None, "k", ed25519_key, int(NOW.timestamp()))
    added["Signature-Input"] += f";expires={int(NOW.timestamp()) + 60}"
    _refused(
        "Signature expired 4 minutes ago", "GET", INBOX, added, None, now=NOW + timedelta(minutes=5)
    )


def test_cavage_missing_coverage_of_digest(rsa_key):
    get_signature = sign_cavage("GET", INBOX, {}, None, "k", rsa_key, NOW)
    headers = {**get_signature, "Digest": digest_header(BODY)}

    _refused("Signature does not cover 'digest'", "POST", INBOX, headers, BODY, now=NOW)


def test_rfc9421_missing_coverage_of_content_digest(ed25519_key):
    added = sign_rfc9421("GET", INBOX, {}, None, "k", ed25519_key, int(NOW.timestamp()))
    headers = {**added, "Content-Digest": content_digest_header(BODY)}

    _refused("Signature does not cover 'content-digest'", "POST", INBOX, headers, BODY, now=NOW)


@pytest.mark.parametrize(
    ("covered", "reason"),
    [
        ("host date digest", "Signature does not cover '(request-target)'"),
        ("(request-target) date digest", "Signature does not cover 'host'"),
        ("(request-target) host digest", "Signature does not cover 'date' or '(created)'"),
    ],
)
def test_cavage_missing_coverage(covered, reason):
    headers = {
        "Host": "b.example",
        "Date": "Sat, 01 Mar 2025 12:00:00 GMT",
        "Digest": digest_header(BODY),
        "Signature": f'keyId="k",algorithm="rsa-sha256",headers="{covered}",signature="AAAA"',
    }
    _refused(reason, "POST", INBOX, headers, BODY, now=NOW)


def test_wrong_key(cavage_headers, rfc9421_headers):
    parsed = parse_signature("POST", INBOX, cavage_headers, BODY, now=NOW)
    wrong = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(SignatureError, match="algorithm 'rsa-sha256' does not fit Ed25519 key"):
        verify_parsed(parsed, wrong)

    parsed = parse_signature("POST", INBOX, rfc9421_headers, BODY, now=NOW)
    with pytest.raises(
        SignatureError,
        match=re.escape("signature does not verify with key https://a.example/actor#k"),
    ):
        verify_parsed(parsed, wrong)


def test_wrong_rsa_key(cavage_headers, cavage):
    parsed = parse_signature("POST", INBOX, cavage_headers, BODY, now=NOW)
    other = load_pem_public_key(cavage["public_key_pem"].encode())

    with pytest.raises(
        SignatureError,
        match=re.escape("signature does not verify with key https://a.example/actor#main-key"),
    ):
        verify_parsed(parsed, other)


def test_tampered_target_does_not_verify(cavage_headers, rfc9421_headers, rsa_key, ed25519_key):
    # the same signed headers replayed to another inbox on the same host
    other_inbox = "https://b.example/users/city/inbox"

    for headers, public_key in (
        (cavage_headers, rsa_key.public_key()),
        (rfc9421_headers, ed25519_key.public_key()),
    ):
        parsed = parse_signature("POST", other_inbox, headers, BODY, now=NOW)
        with pytest.raises(SignatureError, match="signature does not verify with key"):
            verify_parsed(parsed, public_key)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "Request is not signed: no Signature or Signature-Input header"),
        ({"Signature": "this is not a signature"}, "Signature header is malformed near"),
        ({"Signature": 'algorithm="rsa-sha256",signature="AAAA"'}, "Signature header has no keyId"),
        ({"Signature": 'keyId="k",headers="date"'}, "Signature header has no signature"),
        ({"Signature": 'keyId="k",signature="@@@"'}, "signature is not valid base64"),
        (
            {"Signature": 'keyId="k",algorithm="hmac-sha256",signature="AAAA"'},
            "Unsupported signature algorithm 'hmac-sha256'",
        ),
        (
            {"Signature-Input": 'sig1=("@method";created=1', "Signature": "sig1=:AAAA:"},
            "Signature-Input header is malformed: expected ' ' or ')' in an inner list",
        ),
        (
            {"Signature-Input": 'sig1=("@method");created=1;keyid="k"'},
            "Request has a Signature-Input header but no Signature header",
        ),
        (
            {"Signature-Input": 'sig1=("@method");keyid="k"', "Signature": "sig1=:AA"},
            "Signature header is malformed: expected a byte sequence at character 5",
        ),
        (
            {"Signature-Input": 'sig1=("@method");keyid="k"', "Signature": "sig1=AAAA"},
            "Signature 'sig1' is not a byte sequence",
        ),
        (
            {"Signature-Input": 'sig1="@method";keyid="k"', "Signature": "sig1=:AAAA:"},
            "Signature-Input 'sig1' is not an inner list",
        ),
        (
            {"Signature-Input": 'sig1=("@method");keyid="k"', "Signature": "sig2=:AAAA:"},
            "Signature-Input and Signature share no label",
        ),
        (
            {"Signature-Input": 'sig1=("@method");keyid="k"', "Signature": "sig1=:AAAA:"},
            "Signature-Input 'sig1' has no created parameter",
        ),
        (
            {"Signature-Input": 'sig1=("@method");created=1', "Signature": "sig1=:AAAA:"},
            "Signature-Input 'sig1' has no keyid parameter",
        ),
        (
            {
                "Signature-Input": 'sig1=("@method");created=1;keyid="k";alg="hmac-sha256"',
                "Signature": "sig1=:AAAA:",
            },
            "Unsupported signature algorithm 'hmac-sha256'",
        ),
        (
            {"Signature-Input": '"sig1"=("@method")', "Signature": "sig1=:AAAA:"},
            "Signature-Input header is malformed: expected a dictionary key at character 0",
        ),
    ],
)
def test_malformed_headers(headers, reason):
    _refused(reason, "GET", INBOX, headers, None, now=NOW)


@pytest.mark.parametrize(
    ("components", "reason"),
    [
        ("method target-uri", "component identifiers must be strings"),
        ("@method", "Signature-Input header is malformed: expected an item at character 6"),
        ('"@method" "@method"', 'covers "@method" twice'),
        ('"@status"', "Unsupported component '@status'"),
        ('"@query-param";name="a"', "Unsupported component parameter on '@query-param': name"),
        ('"x-missing"', "Signature covers 'x-missing' but the request has no such header"),
        ('"Accept"', "Signature-Input component 'Accept' must be lower-case"),
    ],
)
def test_rfc9421_bad_components(components, reason):
    created = int(NOW.timestamp())
    headers = {
        "Signature-Input": f'sig1=({components});created={created};keyid="k"',
        "Signature": "sig1=:AAAA:",
    }
    _refused(reason, "GET", INBOX, headers, None, now=NOW, check_coverage=False)


def test_rfc9421_derived_components_and_repeated_fields():
    created = int(NOW.timestamp())
    components = '"@scheme" "@authority" "@path" "@query" "@request-target" "accept"'
    headers = [
        ("Signature-Input", f'sig1=({components});created={created};keyid="k"'),
        ("Signature", "sig1=:AAAA:"),
        ("Accept", " application/activity+json "),
        ("accept", "application/ld+json"),
    ]

    class MultiHeaders(dict):
        """Stands in for aiohttp's CIMultiDict: items() yields each instance of a field."""

        def items(self):
            return headers

    url = "HTTPS://B.Example:443/a%20b?x=1&y"
    parsed = parse_signature("GET", url, MultiHeaders(), None, now=NOW, check_coverage=False)

    assert parsed.signing_base.decode().split("\n")[:-1] == [
        '"@scheme": https',
        '"@authority": b.example',
        '"@path": /a%20b',
        '"@query": ?x=1&y',
        '"@request-target": /a%20b?x=1&y',
        '"accept": application/activity+json, application/ld+json',
    ]
