"""The service's endpoints, one small module each: take HTTP requests, return HTTP answers.

:mod:`.render` (``POST /v1/render``), :mod:`.preview` (``POST /v1/preview``),
:mod:`.lint` (``POST /v1/lint``), :mod:`.probes` (``GET /healthz``, ``/readyz``,
``/metrics``) and :mod:`.studio` (``GET /studio``, the designer page, its files and
``POST /studio/page``). Each turns a request into one task for the render pool and the
task's result into an answer; the work itself is :mod:`offer_render.service.work`'s
(the studio's page, :mod:`offer_render.service.studio.browserview`'s).
"""
