"""Serve the repository and generated pages over HTTP on 127.0.0.1, for both renderers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


class _Handler(SimpleHTTPRequestHandler):
    """Serve files quietly; ``/__pages/`` maps to the generated pages folder."""

    pages_dir: Path = REPO_ROOT
    cache_control: str = "no-store"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        pass

    def translate_path(self, path: str) -> str:
        if path.startswith("/__pages/"):
            return str(self.pages_dir / path.removeprefix("/__pages/").split("?")[0])
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", self.cache_control)
        super().end_headers()


@contextmanager
def serve(pages_dir: Path, cache_control: str = "no-store") -> Iterator[str]:
    """Serve the repository root and ``pages_dir`` (at ``/__pages/``); yield the base URL.

    ``cache_control`` is sent with every response. Default: ``no-store`` (the browser
    check must see every change); benchmarks send a max-age as a font CDN does.
    """
    handler = type("Handler", (_Handler,), {"pages_dir": pages_dir,
                                            "cache_control": cache_control})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(REPO_ROOT)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
