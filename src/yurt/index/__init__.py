"""Talking to package indexes: HTTP, the simple API, find-links, caching policy and metadata."""
