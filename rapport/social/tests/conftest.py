import json

import pytest
from django.test import Client

from rapport.social.models import SocialSource
from rapport.webhooks.signing import signed_headers


@pytest.fixture
def source(db):
    return SocialSource.objects.create(
        name="Shop on Mastodon", slug="mastodon-shop", network="mastodon"
    )


@pytest.fixture
def ingest(source):
    """POST a signed item to the source's ingest URL, as a network relay would (CSRF enforced)."""
    client = Client(enforce_csrf_checks=True)

    def post(item=None, *, body=None, secret=None, now=None, slug=None, headers=None):
        raw = body if body is not None else json.dumps(item).encode()
        signed = signed_headers(secret or source.signing_secret, raw, now=now)
        return client.post(
            f"/social/ingest/{slug or source.slug}/",
            raw,
            content_type="application/json",
            headers={**signed, **(headers or {})},
        )

    return post


def item(**fields):
    return {
        "type": "direct_message",
        "network": "mastodon",
        "id": "109001",
        "author": {"handle": "@lena", "name": "Lena Kraus"},
        "text": "Mein Paket ist beschädigt angekommen.",
        "url": "https://social.example/@lena/109001",
        "created_at": "2026-05-04T08:00:00Z",
        **fields,
    }
