"""The ``offer-render worker`` command: take the job flags; run render jobs from the queue.

``offer-render worker --queue redis://HOST:6379/0 --storage s3://BUCKET/PREFIX`` runs
render workers for the jobs that ``offer-render serve`` (often with ``--workers 0``)
takes, on as many machines as needed; every process on one queue must be given the
same ``--queue``, ``--storage``, ``--public-url-base`` and ``--webhook-secret-file``.
Each flag also reads its ``OFFER_RENDER_*`` variable (see
:mod:`offer_render.service.settings`), as ``serve``'s do. Exit codes are ``main()``'s: 2
for bad flags or settings, 1 when the queue or the workers cannot start; 0 after
SIGTERM or Ctrl-C.
"""

from __future__ import annotations

from typing import Any

import click

from offer_render.cli.options import network_options
from offer_render.cli.serve import job_options, service_modules, settings_from_flags


@click.command()
@click.option("--workers", type=int, default=None,
              help="Render worker processes (default: the CPU count).")
@click.option("--render-timeout", type=float, default=30.0, show_default=True,
              help="Seconds one job's render may take, waiting for a worker included.")
@job_options
@network_options
@click.pass_context
def worker(ctx: click.Context, /, **flags: Any) -> None:
    """Run render jobs from the queue (POST /v1/jobs of offer-render serve) until stopped.

    Stop it with Ctrl-C or SIGTERM: the jobs in flight are finished first.
    """
    service_modules()
    from offer_render.jobs.workerprocess import run_worker

    def say(line: str) -> None:
        click.echo(f"offer-render: {line}", err=True)

    run_worker(settings_from_flags(ctx, flags), announce=say)


command: click.Command = worker
"""The command object ``main.py`` registers."""
