"""Counting requests per key in the cache, for rate limits on public forms."""

import hashlib

from django.core.cache import cache


def hit(scope: str, key: str, *, limit: int, window_seconds: int = 3600) -> bool:
    """Count one request for ``key`` and return False once more than ``limit`` came in the window."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"rapport:throttle:{scope}:{digest}"
    cache.add(cache_key, 0, window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, window_seconds)
        count = 1
    return count <= limit
