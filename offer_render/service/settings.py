"""Take the service's options from flags and ``OFFER_RENDER_*`` variables; return settings.

:class:`ServiceSettings` is a pydantic-settings object: every field can be given by
``offer-render serve``'s flag of the same name (``--max-body``), or by the
environment (``OFFER_RENDER_MAX_BODY``); a flag wins over the environment, which
wins over the default. Lists come from the environment comma-separated
(``OFFER_RENDER_ALLOW_HOSTS=127.0.0.1,fonts.internal``), font folders
``os.pathsep``-separated as in ``PATH``. :meth:`ServiceSettings.renderer_config`
turns them into the engine's configuration through the one function every front
door uses (:func:`offer_render.config.engine_config`); the service never allows local
files, whatever it is given: the templates come from the service's callers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from offer_render.config import KEEP, RendererConfig, engine_config
from offer_render.errors import InvalidInputError

MiB = 1024 * 1024


class ServiceSettings(BaseSettings):
    """Everything ``offer-render serve`` takes (README, "Service")."""

    model_config = SettingsConfigDict(env_prefix="OFFER_RENDER_", extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    """Address to listen on. Default: 127.0.0.1 (loopback: nothing else can reach it). Any
    other address needs ``token_file`` or ``insecure_no_auth``."""
    port: int = Field(8080, ge=0, le=65535)
    """TCP port. Default: 8080 (0 picks a free one)."""
    workers: int | None = Field(None, ge=0)
    """Render worker processes, which also run render jobs. Default: None, the CPU count
    (rendering is CPU-bound). 0: none, for a front that only takes jobs into the queue
    (``/v1/render``, ``/v1/preview`` and ``/v1/lint`` then answer 503) while
    ``offer-render worker`` processes run them."""
    backlog: int | None = Field(None, ge=0)
    """Requests that may wait for a worker; beyond them the answer is 503 with
    Retry-After. Default: None, 8 per worker (a wait of well under a second)."""
    render_timeout: float = Field(30.0, gt=0)
    """Seconds a request may take from arrival to answer (waiting included); past it
    the answer is 504 and a worker still rendering it is replaced. Default: 30."""
    max_body: int = Field(MiB, ge=1)
    """Largest request body in bytes; a larger one is refused with 413 (by its declared
    Content-Length before it is read, else as it is read). Default: 1 MiB."""
    token_file: Path | None = None
    """File of bearer tokens, one per line: every ``/v1`` call must send one as
    ``Authorization: Bearer <token>``. Several lines let tokens be rotated. Default: None."""
    insecure_no_auth: bool = False
    """Allow listening on a non-loopback address without tokens. Default: False."""
    data_dir: Path | None = None
    """The service's own folder: the embedded job queue (``DATA_DIR/jobs.db``), the job
    files (``DATA_DIR/files``) unless ``queue`` and ``storage`` say otherwise, and the
    download cache (``DATA_DIR/cache``) unless ``cache_dir`` does. Default: None (jobs in
    the user data folder, ``offer-render`` under platformdirs' ``user_data_dir``; the
    engine's default cache folder)."""
    cache_dir: Path | None = None
    """Disk cache of downloaded fonts and backgrounds. Default: None (``DATA_DIR/cache``
    with ``data_dir``, else ``$OFFER_RENDER_CACHE_DIR`` or the user cache folder)."""
    allow_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    """Hosts a template may fetch from even when they resolve to private or loopback
    addresses (a font mirror inside the network). Default: none."""
    offline: bool = False
    """Use only downloads already cached. Default: False."""
    font_dirs: Annotated[tuple[Path, ...], NoDecode] = ()
    """Extra folders of installed fonts (the operator's, not a request's). Default: none."""
    font_source: str | None = None
    """Google-Fonts-compatible CSS API where fallback faces not bundled come from; ``none``
    (or empty) for none. Default: None, the engine's default (the same variable,
    ``OFFER_RENDER_FONT_SOURCE``, else the public Google Fonts API)."""
    system_fonts: bool = False
    """Also take fallback faces from this machine's installed fonts. Default: False."""
    queue: str | None = None
    """Where render jobs wait (README, "Render jobs"): ``sqlite:///PATH`` (embedded, no
    server) or ``redis://HOST:PORT/DB`` (many machines). Default: None, SQLite in
    ``DATA_DIR/jobs.db``."""
    storage: str | None = None
    """Where job files go, an fsspec URL: ``file:///PATH`` or ``s3://BUCKET/PREFIX`` (S3
    settings from the standard AWS variables). Default: None, ``DATA_DIR/files``."""
    public_url_base: str | None = None
    """URL that file records give as ``PUBLIC_URL_BASE/<object name>``. Default: None, the
    object's storage URL (``s3://...``, ``file://...``)."""
    webhook_secret_file: Path | None = None
    """File holding the secret that signs webhooks (HMAC-SHA256); a job with a
    ``callback_url`` is refused without one. Default: None."""
    job_retries: int = Field(5, ge=0)
    """Runs a job gets after its first one fails for a transient reason (a timeout, a 5xx,
    storage down, a worker killed). Default: 5."""
    webhook_retries: int = Field(8, ge=0)
    """Deliveries a webhook gets after its first one fails. Default: 8 (with the default
    delays, about ten minutes of trying)."""
    retry_delay: float = Field(2.0, gt=0)
    """First delay before a retry, in seconds; each retry doubles it, up to
    ``retry_max_delay``, and takes a random share of it (jitter). Default: 2."""
    retry_max_delay: float = Field(300.0, gt=0)
    """Longest delay before a retry, in seconds. Default: 300."""
    job_lease: float = Field(60.0, gt=0)
    """Seconds a running job may go without word from its worker before another worker
    runs it again (a worker renews its jobs every quarter of it). Default: 60."""
    job_threads: int | None = Field(None, ge=1)
    """Jobs this process runs at once (each waits on a render worker, then writes and
    syncs its files, and records its end). Default: None, four per render worker: with
    two per worker, the workers waited on the threads' writes a third of the time
    (``benchmarks/bench_jobs.py``)."""

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("font_dirs", mode="before")
    @classmethod
    def _path_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(Path(part) for part in value.split(os.pathsep) if part.strip())
        return value

    def data_folder(self) -> Path:
        """Return ``data_dir``, else the user data folder (platformdirs), for the job queue
        and files: they must outlive a restart, so a temp folder will not do."""
        if self.data_dir is not None:
            return self.data_dir
        import platformdirs

        return platformdirs.user_data_path("offer-render")

    def renderer_config(self) -> RendererConfig:
        """Return the engine configuration: the network policy (local files never), the
        font folders, the disk cache; the render deadline is the pool's (see the pool)."""
        cache_dir = self.cache_dir
        if cache_dir is None and self.data_dir is not None:
            cache_dir = self.data_dir / "cache"
        source = self.font_source
        return engine_config(
            allow_hosts=self.allow_hosts, offline=self.offline, font_dirs=self.font_dirs,
            allow_local_files=False, cache_dir=cache_dir, system_fonts=self.system_fonts,
            font_source=KEEP if source is None else (
                None if source.strip().lower() in ("", "none") else source.strip()),
        )


def load_settings(**given: Any) -> ServiceSettings:
    """Return the settings from ``given`` (flags) over the environment; raise InvalidInputError
    naming each bad field (the command line prints them as its flags)."""
    from offer_render.template.validate import errors_to_problems

    try:
        return ServiceSettings(**given)
    except ValidationError as exc:
        raise InvalidInputError(errors_to_problems(exc.errors())) from None
