"""The render service over real HTTP: every endpoint, every error and its message.

One service (uvicorn on a loopback port, two real render workers) serves the whole
module (``render_service`` in conftest); fonts and backgrounds come from the local
test server. Overload, deadlines, killed workers and tokens, which need services of
their own, are in test_service_limits.py; the command line in test_service_cli.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from offer_render.api import Renderer
from offer_render.config import engine_config
from tests.conftest import LocalServer, RunningService
from tests.helpers.servicedata import small_template as template

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


OFFER = {"id": 7, "name": {"en": "Coffee", "pl": "Kawa"}, "stores": ["Arkadia"]}


def post(service: RunningService, path: str, body: Any, **kwargs: Any) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(service.url(path), data=data, timeout=30,
                         headers={"Content-Type": "application/json",
                                  **kwargs.pop("headers", {})}, **kwargs)


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


# -- POST /v1/render ---------------------------------------------------------------------


def test_render_answers_the_image_with_etag_and_warnings(
    render_service: RunningService, http_server: LocalServer
) -> None:
    # Arrange
    tpl = template(http_server.base_url)
    here = Renderer(engine_config(allow_hosts=["127.0.0.1"])).render(
        tpl, OFFER, locale="pl", format="jpeg")
    # Act
    got = post(render_service, "/v1/render",
               {"template": tpl, "offer": OFFER, "locale": "pl", "format": "jpg"})
    # Assert
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "image/jpeg"
    assert got.content == here.data
    assert re.fullmatch(r'"[0-9a-f]{64}"', got.headers["ETag"])
    assert got.headers["X-Offer-Render-Warnings"] == str(len(here.warnings))
    assert re.fullmatch(r"[0-9a-f]{32}", got.headers["X-Request-Id"])


@pytest.mark.parametrize(("fmt", "mime", "magic"), [
    ("png", "image/png", b"\x89PNG"), ("webp", "image/webp", b"RIFF"),
    ("avif", "image/avif", b"\x00\x00\x00"),
])
def test_render_answers_each_format(
    render_service: RunningService, http_server: LocalServer, fmt: str, mime: str, magic: bytes
) -> None:
    got = post(render_service, "/v1/render",
               {"template": template(http_server.base_url), "format": fmt, "quality": 70})
    assert got.status_code == 200
    assert got.headers["Content-Type"] == mime
    assert got.content.startswith(magic)


def test_the_template_may_come_from_the_offer(
    render_service: RunningService, http_server: LocalServer
) -> None:
    offer = {**OFFER, "image_template": template(http_server.base_url)}
    got = post(render_service, "/v1/render", {"offer": offer, "scale": 2})
    assert got.status_code == 200
    here = Renderer(engine_config(allow_hosts=["127.0.0.1"])).render(None, offer, scale=2)
    assert got.content == here.data


def test_report_1_answers_the_report_and_the_image(
    render_service: RunningService, http_server: LocalServer
) -> None:
    body = {"template": template(http_server.base_url), "offer": OFFER, "locale": "pl"}
    plain = post(render_service, "/v1/render", body)
    got = post(render_service, "/v1/render?report=1", body)
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "application/json"
    answer = got.json()
    assert set(answer) == {"report", "image"}
    assert base64.b64decode(answer["image"]) == plain.content
    assert answer["report"]["rectangles"][0]["lines"] == ["Kawa -20%"]
    assert answer["report"]["locale"] == "pl"
    assert got.headers["ETag"] == plain.headers["ETag"]


def test_warnings_are_counted_in_the_header(
    render_service: RunningService, http_server: LocalServer
) -> None:
    tpl = template(http_server.base_url)
    tpl["rectangles"][0]["content"] = "{{nope}} and {{neither}}"
    got = post(render_service, "/v1/render?report=1", {"template": tpl})
    codes = [w["code"] for w in got.json()["report"]["rectangles"][0]["warnings"]]
    assert codes.count("unknown_placeholder") == 2
    assert got.headers["X-Offer-Render-Warnings"] == "2"


def test_if_none_match_with_the_etag_answers_304_without_a_body(
    render_service: RunningService, http_server: LocalServer
) -> None:
    body = {"template": template(http_server.base_url), "offer": OFFER}
    first = post(render_service, "/v1/render", body)
    etag = first.headers["ETag"]
    again = post(render_service, "/v1/render", body, headers={"If-None-Match": etag})
    weak = post(render_service, "/v1/render", body,
                headers={"If-None-Match": f'"other", W/{etag}'})
    other = post(render_service, "/v1/render", {**body, "locale": "pl"},
                 headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", etag)
    assert weak.status_code == 304
    assert other.status_code == 200
    assert other.headers["ETag"] != etag


def test_the_etag_changes_with_the_version_of_a_resource(
    render_service: RunningService, http_server: LocalServer, served_tmp: Path
) -> None:
    # Arrange: a background served with a content ETag and max-age=0 (always revalidated)
    photo = served_tmp / "service-etag.jpg"
    photo.write_bytes((FIXTURES / "backgrounds" / "coffee.jpg").read_bytes())
    body = {"template": template(http_server.base_url, background_url=http_server.url(
        "/etag/service-etag.jpg?max_age=0"))}
    first = post(render_service, "/v1/render", body).headers["ETag"]
    same = post(render_service, "/v1/render", body).headers["ETag"]
    # Act: the photo changes at the same URL
    photo.write_bytes((FIXTURES / "backgrounds" / "chelsea.png").read_bytes())
    changed = post(render_service, "/v1/render", body)
    # Assert
    assert first == same
    assert changed.headers["ETag"] != first


# -- POST /v1/preview and /v1/lint --------------------------------------------------------


def test_preview_answers_a_contact_sheet(
    render_service: RunningService, http_server: LocalServer
) -> None:
    body = {"template": template(http_server.base_url), "offers": [OFFER],
            "locales": ["en", "pl"]}
    plain = post(render_service, "/v1/preview", body)
    debug = post(render_service, "/v1/preview", {**body, "debug": True})
    assert plain.status_code == 200
    assert plain.headers["Content-Type"] == "image/png"
    assert plain.content.startswith(b"\x89PNG")
    assert debug.content != plain.content
    assert plain.headers["X-Offer-Render-Warnings"] == "0"


def test_preview_refuses_too_many_cells(
    render_service: RunningService, http_server: LocalServer
) -> None:
    body = {"template": template(http_server.base_url), "offers": [OFFER] * 51,
            "locales": ["en", "pl"]}
    got = post(render_service, "/v1/preview", body)
    assert got.status_code == 422
    assert error_of(got)["error"] == ("offers: 51 offers x 2 locales make 102 cells; one "
                                      "preview draws at most 100")


def test_lint_answers_the_findings(
    render_service: RunningService, http_server: LocalServer
) -> None:
    sample = json.loads((FIXTURES / "examples" / "platform-sample.json").read_text())
    sample["image_template"]["rectangles"][0]["font_url"] = http_server.url("/fonts/raleway.css")
    sample["image_template"]["background_url"] = http_server.url("/backgrounds/coffee.jpg")
    got = post(render_service, "/v1/lint", {"template": sample["image_template"],
                                            "offers": [sample]})
    assert got.status_code == 200
    answer = got.json()
    codes = {f["code"]: f for f in answer["findings"]}
    assert codes["family_not_in_stylesheet"]["severity"] == "error"
    assert codes["family_not_in_stylesheet"]["rectangle"] == "Title"
    assert "Playfair Display" in codes["family_not_in_stylesheet"]["message"]
    assert answer["errors"] == sum(f["severity"] == "error" for f in answer["findings"])
    assert answer["warnings"] == len(answer["findings"]) - answer["errors"]


# -- probes, metrics, docs --------------------------------------------------------------


def test_healthz_and_readyz(render_service: RunningService) -> None:
    health = requests.get(render_service.url("/healthz"), timeout=10)
    ready = requests.get(render_service.url("/readyz"), timeout=10)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True
    assert body["workers"]["of"] == 2
    keys = {c["key"] for c in body["checks"] if c["required"]}
    assert {"raqm", "fribidi", "ots", "fonts"} <= keys


def test_metrics_count_renders_caches_and_workers(
    render_service: RunningService, http_server: LocalServer
) -> None:
    for _ in range(4):  # at least two in one of the two workers: a layout cache hit
        post(render_service, "/v1/render", {"template": template(http_server.base_url)})
    text = requests.get(render_service.url("/metrics"), timeout=10).text
    assert re.search(r'^offer_render_renders_total\{format="png",status="200"\} [1-9]', text,
                     re.M)
    assert re.search(r'^offer_render_render_seconds_count\{format="png"\} [1-9]', text, re.M)
    assert re.search(r'^offer_render_cache_hits_total\{cache="layout"\} [1-9]', text, re.M)
    assert re.search(r"^offer_render_workers 2\.0$", text, re.M)
    assert re.search(r"^offer_render_workers_busy 0\.0$", text, re.M)
    assert re.search(r'^offer_render_http_requests_total\{route="/v1/render",status="200"\}',
                     text, re.M)


def test_openapi_and_docs_are_served_offline(render_service: RunningService) -> None:
    spec = requests.get(render_service.url("/openapi.json"), timeout=10).json()
    docs = requests.get(render_service.url("/docs"), timeout=10).text
    assert {"/v1/render", "/v1/preview", "/v1/lint", "/healthz", "/readyz",
            "/metrics"} <= set(spec["paths"])
    body = spec["paths"]["/v1/render"]["post"]["requestBody"]["content"]["application/json"]
    assert {"template", "offer", "locale", "format", "quality", "scale"} <= set(
        body["schema"]["properties"])
    scripts = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert scripts
    assert all(s.startswith("/") for s in scripts)  # nothing from a CDN
    for path in scripts:
        assert requests.get(render_service.url(path), timeout=10).status_code == 200


# -- errors ---------------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_400(render_service: RunningService) -> None:
    got = post(render_service, "/v1/render", b'{"template": ')
    assert got.status_code == 400
    body = error_of(got)
    assert body["error"] == "body: is not valid JSON: line 1 column 14: Expecting value"
    assert body["problems"] == [{"path": "body", "message": "is not valid JSON: line 1 "
                                                            "column 14: Expecting value"}]


@pytest.mark.parametrize(("body", "error"), [
    ([1, 2], "body: must be a JSON object, got a list"),
    ({"templat": {}}, "templat: unknown key (did you mean template? the body takes template, "
                      "offer, collections, context, locale, format, quality, scale, strict)"),
    ({"template": [], "quality": "high"}, "template: must be an object; quality: must be a "
                                          "whole number"),
    ({"offer": {"id": 1}}, "image_template: no template given and the offer has none"),
    ({"template": {"width": 10, "height": 10, "rectangles": []}, "format": "gif"},
     "format: must be one of png, jpeg, webp, avif"),
    ({"template": {"width": 10, "height": 10, "rectangles": []}, "format": "jpeg",
      "quality": 101}, "quality: must be an integer from 1 to 100"),
    ({"template": {"width": 10, "height": 10, "rectangles": []}, "locale": "p/l"},
     "locale: 'p/l' is not a locale name"),
])
def test_invalid_input_is_422_in_the_cli_words(
    render_service: RunningService, body: Any, error: str
) -> None:
    got = post(render_service, "/v1/render", body)
    assert got.status_code == 422
    assert error_of(got)["error"].startswith(error)


def test_an_invalid_template_names_each_field(
    render_service: RunningService, http_server: LocalServer
) -> None:
    tpl = template(http_server.base_url)
    tpl["rectangles"][0]["font_size"] = 0
    got = post(render_service, "/v1/render", {"template": tpl})
    assert got.status_code == 422
    body = error_of(got)
    assert body["error"] == "rectangles[0].font_size: must be greater than 0"
    assert body["problems"] == [{"path": "rectangles[0].font_size",
                                 "message": "must be greater than 0"}]


def test_a_bad_report_flag_is_422(render_service: RunningService) -> None:
    got = post(render_service, "/v1/render?report=maybe", {})
    assert got.status_code == 422
    assert error_of(got)["error"] == "report: must be 1 or 0 (got 'maybe')"


def test_a_body_over_max_body_is_413_by_its_declared_length(
    render_service: RunningService
) -> None:
    # Only the headers are sent: the answer comes before any of the body is read.
    with socket.create_connection(("127.0.0.1", _port(render_service)), timeout=10) as sock:
        sock.sendall(b"POST /v1/render HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 10000000\r\n\r\n")
        head = _read_answer(sock)
    assert head.startswith(b"HTTP/1.1 413 ")
    body = json.loads(head.split(b"\r\n\r\n", 1)[1])
    assert body["error"] == ("the request body is 10,000,000 bytes; at most 65,536 are taken "
                             "(--max-body)")


def test_a_chunked_body_over_max_body_is_413(render_service: RunningService) -> None:
    chunks = (b"x" * 16384 for _ in range(8))  # a generator: sent chunked, no length
    got = requests.post(render_service.url("/v1/render"), data=chunks, timeout=30)
    assert got.status_code == 413
    assert error_of(got)["error"] == ("the request body is over 65,536 bytes, the most taken "
                                      "(--max-body)")


def test_a_background_that_cannot_be_fetched_is_502(
    render_service: RunningService, http_server: LocalServer
) -> None:
    missing = http_server.url("/backgrounds/none.jpg")
    got = post(render_service, "/v1/render",
               {"template": template(http_server.base_url, background_url=missing)})
    assert got.status_code == 502
    body = error_of(got)
    assert body["error"] == f"background_url: {missing}: HTTP 404 File not found"
    assert (body["url"], body["reason"]) == (missing, "HTTP 404 File not found")


@pytest.mark.parametrize(("url", "rule"), [
    ("http://10.0.0.1/x.png", "address 10.0.0.1 (private) of host 10.0.0.1 is not allowed by "
                              "the network policy"),
    ("http://169.254.169.254/latest/meta-data/", "(cloud metadata)"),
    ("file:///etc/passwd", "local files are not allowed by the network policy"),
    ("../backgrounds/coffee.jpg", "local files are not allowed by the network policy"),
    ("ftp://example.com/x.png", "the ftp: scheme is not allowed (only http, https)"),
])
def test_a_refused_address_is_422_naming_the_url_and_the_rule(
    render_service: RunningService, http_server: LocalServer, url: str, rule: str
) -> None:
    got = post(render_service, "/v1/render",
               {"template": template(http_server.base_url, background_url=url)})
    assert got.status_code == 422
    body = error_of(got)
    assert body["error"].startswith(f"background_url: {url}: ")
    assert rule in body["error"]
    assert body["url"] == url


def test_a_redirect_to_a_private_address_is_refused(
    render_service: RunningService, http_server: LocalServer
) -> None:
    target = http_server.url("/redirect?to=http://10.0.0.1/x.png")
    got = post(render_service, "/v1/render",
               {"template": template(http_server.base_url, background_url=target)})
    assert got.status_code == 422
    assert "10.0.0.1 (private)" in error_of(got)["error"]


def test_unknown_routes_and_methods_answer_json(render_service: RunningService) -> None:
    missing = requests.get(render_service.url("/v2/render"), timeout=10)
    wrong = requests.get(render_service.url("/v1/render"), timeout=10)
    assert missing.status_code == 404
    assert error_of(missing)["error"] == "no such endpoint: /v2/render (see /docs)"
    assert wrong.status_code == 405
    assert error_of(wrong)["error"] == "GET is not allowed on /v1/render"


def test_a_client_request_id_is_kept(render_service: RunningService) -> None:
    kept = requests.get(render_service.url("/healthz"), headers={"X-Request-Id": "abc-123"},
                        timeout=10)
    replaced = requests.get(render_service.url("/healthz"),
                            headers={"X-Request-Id": "bad id\twith tab"}, timeout=10)
    assert kept.headers["X-Request-Id"] == "abc-123"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-Id"])


def test_the_etag_is_the_input_hash_batch_records(
    render_service: RunningService, http_server: LocalServer, tmp_path: Path
) -> None:
    # Arrange: the same offer, template, locale and format through batch
    from offer_render.batch import BatchOptions, run_batch

    tpl = template(http_server.base_url)
    offers = tmp_path / "offers.jsonl"
    offers.write_text(json.dumps(OFFER) + "\n")
    run_batch(BatchOptions(offers=offers, out_dir=tmp_path / "out", template=tpl,
                           locales=("pl",), format="png", jobs=1, progress="none",
                           config=engine_config(allow_hosts=["127.0.0.1"])))
    record = json.loads((tmp_path / "out" / "manifest.jsonl").read_text().splitlines()[-1])
    # Act
    got = post(render_service, "/v1/render",
               {"template": tpl, "offer": OFFER, "locale": "pl", "format": "png"})
    # Assert
    assert record["status"] == "ok"
    assert got.headers["ETag"] == f'"{record["input_hash"]}"'
    assert hashlib.sha256(got.content).hexdigest() == record["sha256"]


def _port(service: RunningService) -> int:
    return int(service.base_url.rsplit(":", 1)[1])


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest


@pytest.mark.parametrize("path", ["/v1/preview", "/v1/lint"])
@pytest.mark.parametrize(("body", "status", "error"), [
    (b"[", 400, "body: is not valid JSON: line 1 column 2: Expecting value"),
    ({"offers": []}, 422, "template: is required"),
    ({"template": {"width": 0, "height": 10, "rectangles": []}}, 422,
     "width: must be at least 1"),
    ({"template": {"width": 10, "height": 10, "rectangles": []}, "locales": ["p/l"]}, 422,
     "locales[0]: 'p/l' is not a locale name"),
    ({"template": {"width": 10, "height": 10, "rectangles": []}, "debugg": True}, 422,
     "debugg: unknown key"),
])
def test_preview_and_lint_errors_read_as_render_errors(
    render_service: RunningService, path: str, body: Any, status: int, error: str
) -> None:
    got = post(render_service, path, body)
    assert got.status_code == status
    assert error_of(got)["error"].startswith(error)
