import pytest

from rapport.imports.actions import import_file


@pytest.fixture
def run_import(db):
    """Import CSV text (encoded as given) and return the report."""

    def run(text: str, kind: str = "customers", encoding: str = "utf-8", **options):
        return import_file(data=text.encode(encoding), kind=kind, **options)

    return run
