import pytest

from cards.models import Deck


@pytest.fixture
def deck(alice):
    """Alice's Spanish deck, a card a phrase (recognition) unless a test asks for more
    directions; test modules that need another deck define their own."""
    return Deck.objects.create(
        owner=alice, name="Spanish", front_lang="es", back_lang="en", directions=["recognition"]
    )
