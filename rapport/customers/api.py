"""REST endpoints for customers, organizations and a customer's timeline."""

from ninja import Router

router = Router(tags=["customers"])
