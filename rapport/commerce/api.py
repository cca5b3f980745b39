"""REST endpoints for products and orders."""

from ninja import Router

router = Router(tags=["commerce"])
