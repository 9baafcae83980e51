"""The ``offer-render serve`` command: take the service's flags; run the render service.

Each flag also reads an ``OFFER_RENDER_*`` variable (``--max-body`` from
``OFFER_RENDER_MAX_BODY``; see :mod:`offer_render.service.settings`): a flag given
wins over the variable, which wins over the default. The service is an extra
(``pip install 'offer-render[service]'``); without it the command exits 2 saying
what to install. Exit codes are ``main()``'s: 2 for bad flags or settings (a public
address without a token file among them), 1 when it cannot listen or its workers
cannot start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from offer_render.cli.logs import is_quiet
from offer_render.cli.options import FONTS_KEY, network_options
from offer_render.errors import OfferRenderError

F = TypeVar("F", bound=Callable[..., Any])

INSTALL_HINT = "offer-render serve needs the service extra: pip install 'offer-render[service]'"

_SERVICE_PACKAGES = ("fastapi", "fastapi_offline", "starlette", "uvicorn", "pydantic_settings",
                     "prometheus_client", "huey", "fsspec")


class ServiceNotInstalled(OfferRenderError):
    """The service's packages are not installed: exit 2 saying what to install."""

    exit_code = 2


def service_modules() -> None:
    """Import the service's packages; raise ServiceNotInstalled naming the one missing."""
    try:
        import offer_render.jobs.runtime  # noqa: F401 - huey, fsspec
        import offer_render.service.server  # noqa: F401 - fastapi, uvicorn, ...
        import offer_render.service.settings  # noqa: F401 - pydantic-settings
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing in _SERVICE_PACKAGES:
            msg = f"{INSTALL_HINT} ({missing} is missing)"
            raise ServiceNotInstalled(msg) from None
        raise


def job_options(func: F) -> F:
    """Add the flags of the service's folders, the job queue, its storage and webhooks
    (``serve`` and ``worker`` share them)."""
    for option in reversed((
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, help="The service's folder: job queue, job files, "
                                        "download cache (default: the user data folder)."),
        click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, help="Disk cache of downloads (default: DATA_DIR/cache, "
                                        "else $OFFER_RENDER_CACHE_DIR or the user cache)."),
        click.option("--queue", metavar="URL", default=None,
                     help="Job queue: sqlite:///PATH (default DATA_DIR/jobs.db) or "
                          "redis://HOST:PORT/DB."),
        click.option("--storage", metavar="URL", default=None,
                     help="Where job files go: file:///PATH (default DATA_DIR/files) or "
                          "s3://BUCKET/PREFIX (settings from the AWS_* variables)."),
        click.option("--public-url-base", metavar="URL", default=None,
                     help="File records give URL/<object name> (default: the storage URL)."),
        click.option("--webhook-secret-file", default=None,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="File holding the secret that signs webhooks (HMAC-SHA256)."),
    )):
        func = option(func)
    return func


def settings_from_flags(ctx: click.Context, flags: dict[str, Any]) -> Any:
    """Return the service settings from the flags given on the command line (the rest
    come from ``OFFER_RENDER_*`` variables and the defaults)."""
    from offer_render.service.settings import load_settings

    given = {name: value for name, value in flags.items()
             if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE}
    fonts = ctx.meta.get(FONTS_KEY, {})  # --font-source and --system-fonts land here
    if fonts.get("font_source") is not None:
        given["font_source"] = fonts["font_source"]
    if fonts.get("system_fonts"):
        given["system_fonts"] = True
    return load_settings(**given)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token-file "
                   "(or --insecure-no-auth).")
@click.option("--port", default=8080, show_default=True, type=int,
              help="TCP port (0: a free one, printed).")
@click.option("--workers", type=int, default=None,
              help="Render worker processes, which also run jobs (default: the CPU count; "
                   "0: none, jobs are run by offer-render worker).")
@click.option("--backlog", type=int, default=None,
              help="Requests that may wait for a worker; beyond them the answer is 503 "
                   "(default: 8 per worker).")
@click.option("--render-timeout", type=float, default=30.0, show_default=True,
              help="Seconds a request may take, waiting included; past it the answer is 504.")
@click.option("--max-body", type=int, default=1024 * 1024, show_default=True,
              help="Largest request body in bytes; a larger one is answered 413.")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File of bearer tokens (one per line) every /v1 call must send.")
@click.option("--insecure-no-auth", is_flag=True,
              help="Allow a non-loopback --host without --token-file.")
@job_options
@network_options
@click.pass_context
def serve(ctx: click.Context, /, **flags: Any) -> None:
    """Serve the engine over HTTP: POST /v1/render, /v1/preview, /v1/lint, /v1/jobs; docs
    at /docs.

    Listens on 127.0.0.1:8080 by default and runs render jobs with its workers. Stop
    it with Ctrl-C or SIGTERM: requests and jobs in flight are finished first.
    """
    service_modules()
    from offer_render.service.server import serve as run

    run(settings_from_flags(ctx, flags), quiet=is_quiet())


command: click.Command = serve
"""The command object ``main.py`` registers."""
