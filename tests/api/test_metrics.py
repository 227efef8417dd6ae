"""/metrics as Prometheus scrapes it: requests counted by route, method and status, and timed."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


async def scrape(node) -> dict[str, dict[tuple, float]]:
    response = await node.client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


async def test_requests_are_counted_by_route_method_and_status_and_timed(node):
    for _ in range(3):
        assert (await node.client.get("/healthz")).status == 200
    assert (await node.client.get("/no/such/page")).status == 404
    samples = await scrape(node)

    counted = samples["quartier_http_requests_total"]
    assert counted[(("method", "GET"), ("route", "/healthz"), ("status", "200"))] == 3
    assert counted[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1

    healthz = (("route", "/healthz"),)
    assert samples["quartier_http_request_duration_seconds_count"][healthz] == 3
    assert 0 < samples["quartier_http_request_duration_seconds_sum"][healthz] < 3
    buckets = {
        dict(labels)["le"]: value
        for labels, value in samples["quartier_http_request_duration_seconds_bucket"].items()
        if dict(labels)["route"] == "/healthz"
    }
    assert buckets["+Inf"] == 3
    # Cumulative, as Prometheus reads them: each bucket holds at least the one before it.
    bounds = sorted((float(le), n) for le, n in buckets.items())
    assert [n for _, n in bounds] == sorted(n for _, n in bounds)


async def test_the_status_counted_is_the_one_the_client_got(node):
    # Refusals the application raises (a bad token, a page for signed-in people, an invalid
    # API request) are counted with their own status: counted as 500 they would set off the
    # server-error alert of docs/operations.md and hide the real ones.
    bad_token = {"Authorization": "Bearer not-a-token", "Accept": "application/json"}
    assert (await node.client.get("/api/v1/me", headers=bad_token)).status == 401
    assert (await node.client.get("/account", allow_redirects=False)).status == 303
    counted = (await scrape(node))["quartier_http_requests_total"]
    assert counted[(("method", "GET"), ("route", "/api/v1/me"), ("status", "401"))] == 1
    assert counted[(("method", "GET"), ("route", "/account"), ("status", "303"))] == 1
    assert not [labels for labels in counted if ("status", "500") in labels]


async def test_database_interactions_are_counted_by_name(node):
    await node.client.get("/healthz")
    samples = await scrape(node)
    assert samples["quartier_db_interactions_total"][(("name", "healthz"),)] >= 1
