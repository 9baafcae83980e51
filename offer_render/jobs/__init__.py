"""Render jobs: take offers to render later; store their images as the offer's files.

A job is one offer rendered in one or more locales, its images written to storage
under the platform's object names and described by file records. The parts, each a
small module:

- :mod:`.request`: the ``POST /v1/jobs`` body, checked at once, and the job's key
  (the input hash of every image it makes: equal inputs, equal key);
- :mod:`.names` and :mod:`.records`: object names and the records a job answers with;
- :mod:`.store` (SQLite) and :mod:`.redisstore` (Redis): job records, durable and
  shared by every process that serves or works on the queue;
- :mod:`.queue`: the task queue (Huey: SQLite embedded, or Redis), two tasks;
- :mod:`.runner`: what the tasks do (thin: render through a
  :class:`~offer_render.pool.RenderPool`, write, record), with :mod:`.failures`
  (transient or permanent) and :mod:`.backoff`;
- :mod:`.work`: the render task a pool worker runs (``Renderer.render_locales``);
- :mod:`.storage`: fsspec storage, written so a reader never sees half an object;
- :mod:`.webhooks`: signed deliveries under the engine's network policy;
- :mod:`.workers`: the queue's consumer threads and the sweeper that finds lost jobs;
- :mod:`.runtime`: all of it built from the service's settings;
- :mod:`.metrics`: the jobs' Prometheus metrics, read from the shared records.

Nothing here draws: images come from the engine through the pool, exactly as
``POST /v1/render`` makes them.
"""
