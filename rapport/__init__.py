"""Rapport: customer relationship and customer-service platform."""

__version__ = "0.1.0"
