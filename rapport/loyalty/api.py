"""The loyalty API for a shop or point of sale (``/api/v1/loyalty/...``)."""

from ninja import Router

router = Router(tags=["loyalty"])
