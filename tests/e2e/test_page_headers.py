"""Dashboard pages carry the security headers and the server's time; API answers don't (they pass
the page middleware untouched)."""

from __future__ import annotations

from conveyor.web.app import PAGE_POLICY


def test_a_page_has_its_security_headers_and_server_timing(api):
    page = api.client.get("/login")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == PAGE_POLICY
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin" and page.headers["x-content-type-options"] == "nosniff"
    assert float(page.headers["server-timing"].removeprefix("app;dur=")) >= 0


def test_an_api_answer_passes_the_page_middleware_untouched(api):
    answer = api.get("/orders")
    assert answer.status_code == 200
    assert "content-security-policy" not in answer.headers and "server-timing" not in answer.headers


def test_an_answer_to_a_path_outside_the_api_gets_the_headers_even_when_refused(api):
    missing = api.client.get("/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["content-security-policy"] == PAGE_POLICY
