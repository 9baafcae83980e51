"""The studio: take a designer's browser; give it a page to edit a template with live renders.

``offer-render serve`` serves it at ``/studio`` (:mod:`offer_render.service.routes.studio`).
The page (``static/``: HTML, CSS and plain JavaScript modules, no CDN, no build step)
edits a template as JSON, renders it through ``POST /v1/render`` as you type, lints it
through ``POST /v1/lint``, and draws it a second time with the browser's own HTML and
CSS (:mod:`.page`, the rules the fidelity check compares the engine against).
``samples/`` holds copies of the repository's example offers and the fonts and
backgrounds they use, served at ``/studio/samples/`` (:mod:`.samples`). Nothing here is
imported by this package itself: a render worker that loads :mod:`.page` does not load
the web stack.
"""
