"""Run the app on uvicorn in a background thread (tests, screenshots, the load benchmark)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

__all__ = ["running_server"]


@contextlib.contextmanager
def running_server(app, *, host: str = "127.0.0.1", startup_timeout: float = 20.0,
                   log_level: str = "warning") -> Iterator[str]:
    """Serve ``app`` on a free loopback port for the duration of the ``with`` block.

    Yields the base URL (``http://127.0.0.1:PORT``). The socket is bound before uvicorn starts,
    so there is no race for the port; the server is shut down cleanly on exit.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="detente-uvicorn")
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"uvicorn did not start on {host}:{port} within {startup_timeout:g} s")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
