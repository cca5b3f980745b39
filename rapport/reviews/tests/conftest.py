import pytest

from rapport.factories import ProductFactory


@pytest.fixture
def product(db):
    return ProductFactory(sku="MUG-1", name="Mug")
