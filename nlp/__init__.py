"""Text analysis and classification for voclens: pure functions over texts, no storage."""

from .analyser import Analyser, detect_lang, fold, get_analyser, normalize
from .baseline import LexiconClassifier
from .classifier import Classifier
from .labels import DEFAULT_TOPICS, Classification, Polarity, Sentiment, TopicLabel
from .models import get_classifier

__all__ = [
    "Analyser",
    "Classification",
    "Classifier",
    "DEFAULT_TOPICS",
    "LexiconClassifier",
    "Polarity",
    "Sentiment",
    "TopicLabel",
    "detect_lang",
    "fold",
    "get_analyser",
    "get_classifier",
    "normalize",
]
