"""The system's certificate authorities as a verifying TLS context, which a run can start loading early."""

from __future__ import annotations

import os
import ssl
import threading
from concurrent.futures import Future

# Contexts being loaded ahead (see load_ahead), by the (file, folder) they read; each is taken once.
_ahead: dict[tuple[str | None, str | None], Future] = {}
_lock = threading.Lock()


def trust_paths() -> tuple[str | None, str | None]:
    """The authorities `ssl.create_default_context()` would load: OpenSSL's default file and folder,
    or SSL_CERT_FILE and SSL_CERT_DIR; each None when it does not exist."""
    paths = ssl.get_default_verify_paths()
    cafile = os.environ.get(paths.openssl_cafile_env) or paths.openssl_cafile
    capath = os.environ.get(paths.openssl_capath_env) or paths.openssl_capath
    return (cafile if cafile and os.path.isfile(cafile) else None,
            capath if capath and os.path.isdir(capath) else None)


def system_trust_context(paths: tuple[str | None, str | None] | None = None) -> ssl.SSLContext:
    """A verifying TLS context over the system's certificate authorities.

    The authorities are named explicitly, so OpenSSL reads them with the GIL released: parsing a
    bundle of some 150 certificates takes about 20 ms, which then overlaps with the caller's work.
    """
    cafile, capath = paths or trust_paths()
    if cafile is None and capath is None:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=cafile, capath=capath)


def load_ahead() -> None:
    """Start building the context in a thread, for a run that will soon make its first request:
    meanwhile the caller imports the HTTP client."""
    paths = trust_paths()
    with _lock:
        if paths in _ahead:
            return
        future: Future = Future()
        _ahead[paths] = future

    def load() -> None:
        try:
            future.set_result(system_trust_context(paths))
        except BaseException as error:  # noqa: BLE001 - raised again by verified_context
            future.set_exception(error)

    threading.Thread(target=load, daemon=True, name="yurt-trust").start()


def verified_context() -> ssl.SSLContext:
    """The context loaded ahead for the current trust paths (each is handed out once, since a
    context's settings may be changed by its owner), or a new one."""
    paths = trust_paths()
    with _lock:
        future = _ahead.pop(paths, None)
    if future is not None:
        return future.result()
    return system_trust_context(paths)
