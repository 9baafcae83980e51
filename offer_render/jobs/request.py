"""Take a ``POST /v1/jobs`` body; return the job it asks for and its key, or raise naming the fault.

Everything a job could be refused for is checked here, at once, in the command line's
words, so a job that is accepted fails later only for what cannot be known now (a
background that answers 404, a host that times out): the body's shape, the format,
quality, scale and locales, the template and offer (the engine's own validation),
the offer's id (the files are named after it) and the callback URL (the network
policy fonts and backgrounds pass: an address that is loopback, private, link-local
or cloud metadata is refused, 422).

**The key.** A job's id is its key: sha256 over the input hashes of the images it
makes, one per locale, each the very hash ``POST /v1/render`` sends as its ETag and
batch writes to its manifest (:func:`offer_render.service.work.input_hash`: the engine
version, the template, the whole offer, the locale, the options, the font folders and
the sha256 of the background, the stylesheets and their fonts), with the file kind and
size type. Equal inputs make equal ids: a job posted twice is one job, and once its
files are stored it is answered without rendering.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import Field

from offer_render.errors import InvalidInputError
from offer_render.jobs.names import KIND, SIZE_TYPE, safe_id
from offer_render.pool.worker import TaskContext
from offer_render.service.bodies import Body


class JobBody(Body):
    """``POST /v1/jobs``: render an offer in some locales and store the images as its files."""

    offer: dict[str, Any] = Field(
        description="The offer (the platform's Offer model); its id names the files, its "
                    "data fills the placeholders.")
    template: dict[str, Any] | None = Field(
        None, description="The image_template; default: the offer's own image_template.")
    collections: list[dict[str, Any]] | None = Field(
        None, description="Collections, for {{collection}}.")
    context: dict[str, Any] | None = Field(None, description="Extra merge fields.")
    locales: list[str] | None = Field(
        description="One file per locale, named ...-base-<locale>.<ext>; null: one file in "
                    "the default locale, named ...-base.<ext>.")
    format: str = Field(description="png, jpeg (jpg), webp or avif.")
    quality: int | None = Field(None, description="1 to 100, for jpeg, webp and avif.")
    scale: float = Field(1.0, description="2 gives @2x images.")
    callback_url: str | None = Field(
        None, description="Gets a POST of the job record when the job ends, signed "
                          "X-Offer-Render-Signature: sha256=<HMAC-SHA256 of the body>.")


@dataclass(frozen=True)
class JobRequest:
    """A checked job: what to render and where the answer goes (kept with the job record)."""

    offer_id: str
    offer: dict[str, Any]
    template: dict[str, Any] | None
    collections: list[dict[str, Any]] | None
    context: dict[str, Any] | None
    locales: tuple[str, ...] | None
    """The locales, or None: one image in the default locale, no locale in its name."""
    format: str
    quality: int | None
    scale: float
    callback_url: str | None

    def to_json(self) -> dict[str, Any]:
        """Return the request as JSON data."""
        data = asdict(self)
        data["locales"] = list(self.locales) if self.locales is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobRequest:
        """Return the request :meth:`to_json` wrote."""
        locales = data.get("locales")
        return cls(**{**data, "locales": tuple(locales) if locales is not None else None})


def parse_job(ctx: TaskContext, raw: bytes, *, can_sign: bool) -> tuple[str, JobRequest]:
    """Return the key and the checked request of a job body; raise BodyNotJson,
    InvalidInputError or ResourceError (``refused``: the callback URL) naming the field.

    ``ctx`` gives the engine configuration and the fetcher the key's resources are
    read through (once each). ``can_sign`` says whether the service has a webhook secret.
    """
    from offer_render.batch.plan import offer_id_of
    from offer_render.diagnostics import Diagnostics
    from offer_render.encode import normalize_format
    from offer_render.jobs.webhooks import check_callback
    from offer_render.locales import parse_locale_list
    from offer_render.template import check_output_size, check_scale, read_inputs

    body = JobBody.parse(raw)
    limits = ctx.config.limits
    fmt = normalize_format(body.format)
    if body.quality is not None and not 1 <= body.quality <= 100:
        raise InvalidInputError([("quality", "must be an integer from 1 to 100")])
    locales = (tuple(parse_locale_list(body.locales, "locales"))
               if body.locales is not None else None)
    offer_id = offer_id_of(body.offer)
    if offer_id is None:
        raise InvalidInputError([("offer.id", "is required (a string or a whole number): the "
                                              "offer's files are named after it")])
    safe_id(offer_id)
    scale = check_scale(body.scale, limits=limits)
    template, _ = read_inputs(body.template, body.offer, limits=limits, diag=Diagnostics())
    check_output_size(template, scale, limits=limits)
    if body.callback_url is not None:
        if not can_sign:
            raise InvalidInputError([("callback_url", "this service has no "
                                      "--webhook-secret-file, so it cannot sign webhooks")])
        check_callback(body.callback_url, ctx.config.network.allow_hosts)
    request = JobRequest(offer_id, body.offer, body.template, body.collections, body.context,
                         locales, fmt, body.quality, scale, body.callback_url)
    return job_key(ctx, request), request


def job_key(ctx: TaskContext, request: JobRequest) -> str:
    """Return the job's key: sha256 over its images' input hashes (see the module)."""
    from offer_render.batch.inputhash import canonical_json
    from offer_render.service.bodies import RenderBody
    from offer_render.service.work import input_hash

    hashes = []
    for locale in request.locales or (None,):
        body = RenderBody.model_construct(
            template=request.template, offer=request.offer, collections=request.collections,
            context=request.context, locale=locale, format=request.format,
            quality=request.quality, scale=request.scale, strict=False)
        hashes.append(input_hash(ctx, body, request.format))
    doc = {"images": hashes, "kind": KIND, "size_type": SIZE_TYPE}
    return hashlib.sha256(canonical_json(doc)).hexdigest()
