"""Text analysis and classification for voclens: pure functions over texts, no storage."""

from .analyser import Analyser, detect_lang, fold, get_analyser, normalize
from .baseline import LexiconClassifier
from .classifier import Classifier
from .labels import DEFAULT_TOPICS, Classification, Polarity, Sentiment, TopicLabel
from .models import get_classifier
from .own_topics import TopicExample, TopicHead, train_head

__all__ = [
    "Analyser",
    "Classification",
    "Classifier",
    "DEFAULT_TOPICS",
    "LexiconClassifier",
    "Polarity",
    "Sentiment",
    "TopicExample",
    "TopicHead",
    "TopicLabel",
    "detect_lang",
    "fold",
    "get_analyser",
    "get_classifier",
    "normalize",
    "train_head",
]
