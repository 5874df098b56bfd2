import pytest

from cards.models import Deck


@pytest.fixture
def deck(alice):
    """Alice's Spanish deck; test modules that need another deck define their own."""
    return Deck.objects.create(owner=alice, name="Spanish", front_lang="es", back_lang="en")
