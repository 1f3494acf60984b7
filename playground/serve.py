"""Serve the built playground on this machine: ``python playground/serve.py [OUT] --port N``.

Binds 127.0.0.1 only and serves ``.mjs`` as JavaScript and ``.wasm`` as ``application/wasm``
(what Pyodide's module worker needs: WebAssembly compiles while it downloads only with that
type). OUT defaults to ``playground/site``
(``python playground/build.py`` makes it). Stop it with Ctrl+C.
"""

from __future__ import annotations

import argparse
import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "site"


class Handler(SimpleHTTPRequestHandler):
    """Static files with the MIME types a module worker and WebAssembly need."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm", ".py": "text/plain; charset=utf-8",
                      ".whl": "application/zip", ".svg": "image/svg+xml",
                      ".json": "application/json",
                      # python_stdlib.zip.gz and pycache.bundle.gz: the worker inflates them
                      # (no Content-Encoding, or the browser would inflate them first)
                      ".gz": "application/gzip"}
    quiet = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        if not self.quiet:
            super().log_message(format, *args)


def server(out: Path, port: int = 8000, quiet: bool = False) -> ThreadingHTTPServer:
    """An HTTP server for ``out`` on 127.0.0.1:``port`` (0: any free port), not yet serving."""
    if not (out / "index.html").is_file():
        sys.exit(f"serve.py: {out} has no index.html: build it first with "
                 f"python playground/build.py {out}")
    handler = type("QuietHandler" if quiet else "Handler", (Handler,), {"quiet": quiet})
    return ThreadingHTTPServer(("127.0.0.1", port),
                               functools.partial(handler, directory=str(out)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT,
                        help="the built site (default playground/site)")
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    parser.add_argument("-q", "--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    httpd = server(args.out.resolve(), args.port, args.quiet)
    print(f"serving {args.out} at http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl+C stops)",
          flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
