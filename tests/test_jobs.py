"""Render jobs over real HTTP, on both queues: embedded (SQLite, local files) and Redis with S3.

Each backend gets one service for the module (``jobs_service``, uvicorn on a loopback
port with a real render worker): the embedded one keeps its queue and files in a
folder, the other one queues in Debian's ``redis-server`` and stores in moto's S3
server, both started by fixtures (conftest). Fonts and backgrounds come from the
local test server; retries wait a fraction of a second (``retry_delay``), so a test
that waits for a retry waits for Huey's schedule, which runs each second. Jobs that
outlive a killed server or worker are in test_jobs_kill.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from offer_render.api import Renderer
from offer_render.config import engine_config
from tests.conftest import (
    LocalServer,
    RunningService,
    S3Server,
    free_port,
    running_service,
    wait_for,
)
from tests.helpers.servicedata import small_template as template

SECRET = b"webhook-secret-for-tests"


def offer(base: str, offer_id: object = None, **changes: Any) -> dict[str, Any]:
    """Return an offer holding its template; a new id unless one is given."""
    return {"id": offer_id if offer_id is not None else uuid.uuid4().hex[:12],
            "name": {"en": "Coffee", "pl": "Kawa"}, "stores": ["Arkadia"],
            "image_template": template(base), **changes}


@dataclass
class JobsEnv:
    """One backend's service and a way to look into its storage."""

    kind: str
    service: RunningService
    files: Path | None = None
    s3: S3Server | None = None
    bucket: str = ""
    prefix: str = "offers"
    extra: dict[str, Any] = field(default_factory=dict)

    def post(self, body: Any) -> requests.Response:
        return requests.post(self.service.url("/v1/jobs"), json=body, timeout=60)

    def get(self, job_id: str) -> requests.Response:
        return requests.get(self.service.url(f"/v1/jobs/{job_id}"), timeout=30)

    def record(self, job_id: str) -> dict[str, Any]:
        got = self.get(job_id)
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        return body

    def ended(self, job_id: str) -> dict[str, Any]:
        """Wait for the job to end; return its record."""
        return wait_for(lambda: (r := self.record(job_id))["status"] in ("done", "failed")
                        and r, f"job {job_id} to end")

    def names(self) -> list[str]:
        """Return every object name in storage (temp files included), sorted."""
        if self.files is not None:
            return sorted(p.name for p in self.files.iterdir()) if self.files.is_dir() else []
        assert self.s3 is not None
        return [k.split("/", 1)[1] for k in self.s3.keys(self.bucket, self.prefix + "/")]

    def read(self, name: str) -> bytes:
        if self.files is not None:
            return (self.files / name).read_bytes()
        assert self.s3 is not None
        answer = self.s3.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{name}")
        data: bytes = answer["Body"].read()
        return data

    def stamp(self, name: str) -> object:
        """Return when the object was last written."""
        if self.files is not None:
            return (self.files / name).stat().st_mtime_ns
        assert self.s3 is not None
        return self.s3.client.head_object(Bucket=self.bucket,
                                          Key=f"{self.prefix}/{name}")["LastModified"]

    def storage_down(self) -> None:
        """Make storage refuse every write: the folder is a file, or the bucket is gone."""
        if self.files is not None:
            shutil.rmtree(self.files, ignore_errors=True)
            self.files.write_text("not a folder")
            return
        assert self.s3 is not None
        for key in self.s3.keys(self.bucket):
            self.s3.client.delete_object(Bucket=self.bucket, Key=key)
        self.s3.client.delete_bucket(Bucket=self.bucket)

    def storage_up(self) -> None:
        if self.files is not None:
            self.files.unlink()
            self.files.mkdir()
            return
        assert self.s3 is not None
        self.s3.bucket(self.bucket)

    def metric(self, name: str, labels: str = "") -> float:
        """Return the value of one metric line of /metrics (0 when absent)."""
        text = requests.get(self.service.url("/metrics"), timeout=30).text
        want = f"{name}{{{labels}}}" if labels else name
        for line in text.splitlines():
            if line.startswith(want + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0


SETTINGS: dict[str, Any] = {
    "workers": 1, "render_timeout": 30, "retry_delay": 0.05, "retry_max_delay": 0.2,
    "job_retries": 4, "webhook_retries": 6, "job_lease": 3,
}


@pytest.fixture(scope="module", params=["embedded", "redis-s3"])
def jobs_env(request: pytest.FixtureRequest, http_server: LocalServer,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobsEnv]:
    """Run one jobs service per backend for the module (see the module docstring)."""
    folder = tmp_path_factory.mktemp("jobs")
    secret = folder / "webhook-secret"
    secret.write_bytes(SECRET + b"\n")
    settings = {**SETTINGS, "data_dir": folder / "data", "cache_dir": folder / "cache",
                "webhook_secret_file": secret}
    if request.param == "embedded":
        with running_service(**settings) as service:
            yield JobsEnv("embedded", service, files=folder / "data" / "files")
        return
    import redis

    redis_url = request.getfixturevalue("redis_server") + "/1"
    redis.Redis.from_url(redis_url).flushdb()
    s3: S3Server = request.getfixturevalue("s3_server")
    bucket = s3.bucket(f"jobs-{uuid.uuid4().hex[:8]}")
    with running_service(**settings, queue=redis_url, storage=f"s3://{bucket}/offers") as service:
        yield JobsEnv("redis-s3", service, s3=s3, bucket=bucket)


# -- two locales, two files ---------------------------------------------------------------


def test_two_locales_give_two_files_with_their_records(jobs_env: JobsEnv,
                                                       http_server: LocalServer) -> None:
    # Arrange
    the_offer = offer(http_server.base_url, offer_id=1000115)
    engine = Renderer(engine_config(allow_hosts=["127.0.0.1"]))
    expected = engine.render_locales(None, the_offer, locales=["en", "pl"], format="jpeg",
                                     scale=2)
    # Act
    posted = jobs_env.post({"offer": the_offer, "locales": ["en", "pl"], "format": "jpg",
                            "scale": 2})
    record = jobs_env.ended(posted.json()["id"])
    # Assert
    assert posted.status_code == 202
    assert posted.json() == {"id": posted.json()["id"], "status": "queued"}
    assert (record["status"], record["attempts"], record["error"], record["offer_id"]) == (
        "done", 1, None, "1000115")
    names = ["offer-1000115-offer_default-base-en.jpg", "offer-1000115-offer_default-base-pl.jpg"]
    assert [n for n in jobs_env.names() if n.startswith("offer-1000115-")] == names
    for file, name, locale in zip(record["files"], names, ["en", "pl"], strict=True):
        data = jobs_env.read(name)
        assert data == expected[locale].data
        assert file == {
            "url": file["url"], "width": 640, "height": 320, "kind": "offer_default",
            "size_type": "base", "locale": locale, "format": "jpeg",
            "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        if jobs_env.kind == "embedded":
            assert file["url"] == (jobs_env.files / name).as_uri()  # type: ignore[operator]
        else:
            assert file["url"] == f"s3://{jobs_env.bucket}/offers/{name}"


def test_a_job_without_locales_makes_one_file_without_a_locale(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    the_offer = offer(http_server.base_url)
    record = jobs_env.ended(jobs_env.post({"offer": the_offer, "locales": None,
                                           "format": "png"}).json()["id"])
    name = f"offer-{the_offer['id']}-offer_default-base.png"
    assert record["status"] == "done"
    assert [(f["locale"], f["format"], f["url"].rsplit("/", 1)[1]) for f in record["files"]] == [
        (None, "png", name)]
    assert jobs_env.read(name).startswith(b"\x89PNG")


# -- resubmitting -------------------------------------------------------------------------


def test_resubmitting_answers_the_stored_record_and_renders_nothing(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    # Arrange
    body = {"offer": offer(http_server.base_url), "locales": ["en"], "format": "webp"}
    record = jobs_env.ended(jobs_env.post(body).json()["id"])
    name = record["files"][0]["url"].rsplit("/", 1)[1]
    stamp = jobs_env.stamp(name)
    tasks = jobs_env.service.pool.stats().counters["tasks"]
    # Act
    again = jobs_env.post(body)
    # Assert
    assert again.status_code == 200
    assert again.json() == record
    assert jobs_env.service.pool.stats().counters["tasks"] == tasks  # no render
    assert jobs_env.stamp(name) == stamp  # no write
    assert jobs_env.record(record["id"]) == record


def test_a_changed_offer_is_a_new_job(jobs_env: JobsEnv, http_server: LocalServer) -> None:
    body = {"offer": offer(http_server.base_url), "locales": ["en"], "format": "jpeg"}
    first = jobs_env.post(body).json()["id"]
    body["offer"]["name"] = {"en": "Tea"}
    second = jobs_env.post(body).json()["id"]
    assert first != second
    assert jobs_env.ended(second)["status"] == "done"


def test_a_done_job_whose_files_are_gone_renders_again(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    # Arrange
    body = {"offer": offer(http_server.base_url), "locales": ["en"], "format": "jpeg"}
    record = jobs_env.ended(jobs_env.post(body).json()["id"])
    name = record["files"][0]["url"].rsplit("/", 1)[1]
    if jobs_env.files is not None:
        (jobs_env.files / name).unlink()
    else:
        assert jobs_env.s3 is not None
        jobs_env.s3.client.delete_object(Bucket=jobs_env.bucket, Key=f"offers/{name}")
    # Act
    again = jobs_env.post(body)
    # Assert
    assert (again.status_code, again.json()["id"]) == (202, record["id"])
    assert jobs_env.ended(record["id"])["status"] == "done"
    assert hashlib.sha256(jobs_env.read(name)).hexdigest() == record["files"][0]["sha256"]


# -- failures -----------------------------------------------------------------------------


def test_a_storage_outage_mid_job_is_retried_until_storage_is_back(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    # Arrange
    the_offer = offer(http_server.base_url)
    retries = jobs_env.metric("offer_render_job_retries_total", 'reason="transient"')
    jobs_env.storage_down()
    try:
        # Act: the render succeeds, the write fails, the job waits for its next run
        job_id = jobs_env.post({"offer": the_offer, "locales": ["en"], "format": "jpeg"}
                               ).json()["id"]
        waiting = wait_for(lambda: (r := jobs_env.record(job_id))["attempts"] >= 2
                           and r["status"] == "queued" and r, "a second failed write")
    finally:
        jobs_env.storage_up()
    record = jobs_env.ended(job_id)
    # Assert
    assert waiting["error"].startswith("storage: cannot write ")
    assert record["status"] == "done"
    assert record["attempts"] >= 3
    assert record["error"] is None
    assert [n for n in jobs_env.names() if str(the_offer["id"]) in n] == [
        f"offer-{the_offer['id']}-offer_default-base-en.jpg"]
    assert jobs_env.metric("offer_render_job_retries_total",
                           'reason="transient"') >= retries + 2


def test_a_background_that_is_not_there_fails_the_job_at_once(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    the_offer = offer(http_server.base_url)
    missing = http_server.url("/backgrounds/no-such-photo.jpg")
    the_offer["image_template"]["background_url"] = missing
    record = jobs_env.ended(jobs_env.post({"offer": the_offer, "locales": ["en"],
                                           "format": "png"}).json()["id"])
    assert (record["status"], record["attempts"], record["files"]) == ("failed", 1, [])
    assert record["error"] == f"background_url: {missing}: HTTP 404 File not found"


# -- refused at once ----------------------------------------------------------------------


def error_of(response: requests.Response) -> tuple[int, str, list[dict[str, str]]]:
    body = response.json()
    return response.status_code, body["error"], body["problems"]


def test_bad_jobs_are_refused_at_once_naming_the_field(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    base = http_server.base_url
    good = {"offer": offer(base), "locales": ["en"], "format": "jpeg"}
    bad_template = template(base)
    bad_template["rectangles"][0]["font_size"] = 0
    cases = [
        ({**good, "format": "gif"}, "format: must be one of png, jpeg, webp, avif"),
        ({**good, "locales": ["p/l"]}, "locales[0]: 'p/l' is not a locale name"),
        ({**good, "quality": 0}, "quality: must be an integer from 1 to 100"),
        ({**good, "offer": {"name": {"en": "x"}, "image_template": template(base)}},
         "offer.id: is required (a string or a whole number): the offer's files are named "
         "after it"),
        ({**good, "template": bad_template}, "rectangles[0].font_size: must be greater than 0"),
        ({k: v for k, v in good.items() if k != "format"}, "format: is required"),
        ({**good, "locale": "en"}, "locale: unknown key (did you mean locales?"),
    ]
    for body, message in cases:
        status, error, problems = error_of(jobs_env.post(body))
        assert (status, error[:len(message)]) == (422, message), error
        assert problems[0]["path"] == message.split(":", 1)[0]


def test_an_ssrf_callback_url_is_refused_and_never_called(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    good = {"offer": offer(http_server.base_url), "locales": ["en"], "format": "jpeg"}
    cases = [
        ("http://169.254.169.254/latest/meta-data/",
         "address 169.254.169.254 (cloud metadata) of host 169.254.169.254 is not allowed by "
         "the network policy"),
        ("http://10.0.0.1:8080/hook",
         "address 10.0.0.1 (private) of host 10.0.0.1 is not allowed by the network policy"),
        ("http://[::1]:9/hook", "address ::1 (loopback) of host ::1 is not allowed by the "
                                "network policy"),
        ("file:///etc/passwd", "the file: scheme is not allowed (only http, https)"),
    ]
    for url, reason in cases:
        status, error, problems = error_of(jobs_env.post({**good, "callback_url": url}))
        assert (status, error) == (422, f"callback_url: {url}: {reason}")
        assert problems == [{"path": "callback_url", "message": f"{url}: {reason}"}]


def test_path_traversal_in_ids_is_refused(jobs_env: JobsEnv, http_server: LocalServer) -> None:
    # An offer id names one object inside the prefix, percent-encoded
    the_offer = offer(http_server.base_url, offer_id="../../../etc/cron.d/x")
    record = jobs_env.ended(jobs_env.post({"offer": the_offer, "locales": ["en"],
                                           "format": "jpeg"}).json()["id"])
    name = "offer-..%2F..%2F..%2Fetc%2Fcron.d%2Fx-offer_default-base-en.jpg"
    assert record["status"] == "done"
    assert name in jobs_env.names()
    assert record["files"][0]["url"].endswith("/offer-..%252F..%252F..%252Fetc%252Fcron.d%252Fx"
                                              "-offer_default-base-en.jpg")
    if jobs_env.files is not None:
        assert not (jobs_env.files.parent / "etc").exists()
    # A job id that is not one names no job, and reaches no store as a path
    for job_id in ("..%2F..%2Fjobs.db", "%2E%2E", "0" * 63 + "/", "0" * 64 + "%00"):
        got = jobs_env.get(job_id)
        assert got.status_code == 404, job_id
    assert jobs_env.get("0" * 64).json()["error"].startswith("no such job: '" + "0" * 64)
    # An id too long for an object name is refused
    status, error, _ = error_of(jobs_env.post(
        {"offer": offer(http_server.base_url, offer_id="/" * 100), "locales": None,
         "format": "png"}))
    assert (status, error) == (422, "offer.id: is 300 characters once made safe for an object "
                                    "name; at most 200")


# -- webhooks -----------------------------------------------------------------------------


class Receiver:
    """A webhook receiver on a loopback port: records each POST (headers and body)."""

    def __init__(self, port: int = 0) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Keep test output quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/offers"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_webhook_posts_the_signed_record_when_the_job_ends(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    receiver = Receiver()
    try:
        job_id = jobs_env.post({"offer": offer(http_server.base_url), "locales": ["en"],
                                "format": "jpeg", "callback_url": receiver.url}).json()["id"]
        wait_for(lambda: receiver.got, "the webhook")
    finally:
        receiver.close()
    headers, body = receiver.got[0]
    assert json.loads(body) == jobs_env.record(job_id)
    assert json.loads(body)["status"] == "done"
    digest = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert headers["X-Offer-Render-Signature"] == f"sha256={digest}"
    assert (headers["X-Offer-Render-Job"], headers["X-Offer-Render-Delivery"]) == (job_id, "1")
    assert headers["Content-Type"] == "application/json"


def test_a_webhook_receiver_that_is_down_gets_retries(
    jobs_env: JobsEnv, http_server: LocalServer
) -> None:
    # Arrange: nothing listens on the port yet
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/offers"
    retried = jobs_env.metric("offer_render_webhook_deliveries_total", 'outcome="retried"')
    delivered = jobs_env.metric("offer_render_webhook_deliveries_total", 'outcome="delivered"')
    # Act
    job_id = jobs_env.post({"offer": offer(http_server.base_url), "locales": ["en"],
                            "format": "jpeg", "callback_url": url}).json()["id"]
    wait_for(lambda: jobs_env.metric("offer_render_webhook_deliveries_total",
                                     'outcome="retried"') >= retried + 1, "a failed delivery")
    receiver = Receiver(port)
    try:
        wait_for(lambda: receiver.got, "a delivery once the receiver is up")
    finally:
        receiver.close()
    # Assert
    headers, body = receiver.got[0]
    assert int(headers["X-Offer-Render-Delivery"]) >= 2
    assert json.loads(body)["id"] == job_id
    assert jobs_env.metric("offer_render_webhook_deliveries_total",
                           'outcome="delivered"') >= delivered + 1


# -- operations ---------------------------------------------------------------------------


def test_metrics_and_readiness_tell_about_jobs(jobs_env: JobsEnv,
                                               http_server: LocalServer) -> None:
    jobs_env.ended(jobs_env.post({"offer": offer(http_server.base_url), "locales": ["en"],
                                  "format": "jpeg"}).json()["id"])
    assert jobs_env.metric("offer_render_jobs", 'status="done"') >= 1
    assert jobs_env.metric("offer_render_jobs_ended_total", 'status="done"') >= 1
    assert jobs_env.metric("offer_render_job_queue_depth", 'kind="pending"') >= 0
    assert "offer_render_job_oldest_queued_seconds " in requests.get(
        jobs_env.service.url("/metrics"), timeout=30).text
    ready = requests.get(jobs_env.service.url("/readyz"), timeout=30)
    checks = {c["key"]: c for c in ready.json()["checks"]}
    assert ready.status_code == 200
    assert checks["job_queue"]["ok"]
    assert checks["job_storage"]["ok"]


def test_the_openapi_document_describes_the_jobs_api(jobs_env: JobsEnv) -> None:
    doc = requests.get(jobs_env.service.url("/openapi.json"), timeout=30).json()
    post = doc["paths"]["/v1/jobs"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"offer", "locales", "format"}
    assert {"202", "200", "422"} <= set(post["responses"])
    assert "/v1/jobs/{job_id}" in doc["paths"]
