"""Proxies from the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), read as curl and urllib do."""

from __future__ import annotations

import os
from collections.abc import Mapping

# Why not urllib.request.getproxies(): importing urllib.request costs about 15 ms (email, tempfile
# and more), on the path to a cold install's first request. The rules below are the same.


def environment_proxies(environment: Mapping[str, str] | None = None) -> dict[str, str]:
    """Proxy URLs by scheme (`http`, `https`), plus `no` for the NO_PROXY list.

    The lower-case variable wins over the upper-case one. Under CGI (REQUEST_METHOD set),
    HTTP_PROXY is ignored: there it can be set by a client's `Proxy:` request header.
    """
    environment = os.environ if environment is None else environment
    found: dict[str, str] = {}
    for scheme in ("http", "https", "no"):
        variable = f"{scheme}_proxy"
        upper = environment.get(variable.upper())
        if upper and not (scheme == "http" and "REQUEST_METHOD" in environment):
            found[scheme] = upper
        lower = environment.get(variable)
        if lower:
            found[scheme] = lower
        elif lower == "" and scheme in found:
            # An empty lower-case variable switches the upper-case one off.
            del found[scheme]
    return found


def bypasses_proxy(host_and_port: str, no_proxy: str | None) -> bool:
    """Whether NO_PROXY names this host: `*`, the host itself, or a domain it is under
    (`example.com` and `.example.com` both cover `a.example.com`); an entry may give a port."""
    if not no_proxy:
        return False
    if no_proxy.strip() == "*":
        return True
    host = host_and_port.lower()
    host_only = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    for entry in no_proxy.split(","):
        entry = entry.strip().lstrip(".").lower()
        if not entry:
            continue
        if entry in (host, host_only):
            return True
        if host_only.endswith("." + entry) or host.endswith("." + entry):
            return True
    return False
