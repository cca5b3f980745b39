import pytest

from rapport.webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server
