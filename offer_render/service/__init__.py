"""The render service: take HTTP requests (JSON); return offer images, previews and lint findings.

A door, not a second engine: :mod:`.app` (the FastAPI app and its lifespan, which
owns a :class:`~offer_render.pool.RenderPool`), :mod:`.routes` (one module per
endpoint), :mod:`.bodies` (request bodies), :mod:`.work` (what the render workers
run: the same engine calls the command line makes), :mod:`.answers` (errors as
HTTP), :mod:`.auth` (bearer tokens), :mod:`.requestlog` and :mod:`.metrics`
(observability), :mod:`.settings` (flags and ``OFFER_RENDER_*`` variables) and
:mod:`.server` (``offer-render serve``). Nothing here is imported by this package
itself, so a render worker that loads :mod:`.work` does not load the web stack.
"""
