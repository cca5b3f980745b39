"""The demo help centre: ten articles in German and English for the demo shop.

The Markdown files under ``rapport/demo/helpcentre/`` are imported (published) through the
knowledge base's importer, the same way as ``rapport kb import``.
"""

from pathlib import Path

from rapport.kb.importer import ImportReport, import_folder
from rapport.kb.models import Article

HELPCENTRE_DIR = Path(__file__).resolve().parent / "helpcentre"


def load_demo_helpcentre() -> ImportReport | None:
    """Import the demo help centre when the knowledge base is empty; return the report."""
    if Article.objects.exists():
        return None
    return import_folder(HELPCENTRE_DIR, publish=True)
