"""Offline, explained sentiment of short customer texts in German and English."""
