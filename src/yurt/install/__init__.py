"""Putting wheels into environments and taking dists out: link, install, scan, uninstall."""
