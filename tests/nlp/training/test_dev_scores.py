import pytest

from nlp.baseline import LexiconClassifier
from nlp.training.evaluation import DEFAULT_DATA_DIR
from nlp.training.dev_scores import SetReport, choose_default_runtime, evaluate_set, format_report


def _r(**metrics):
    return SetReport("s", 10, dict(metrics))


def test_default_is_the_fastest_runtime_within_half_a_point_everywhere():
    torch_r = [_r(sentiment_accuracy=0.930), _r(topic_micro_f1=0.760, topic_micro_precision=0.9)]
    close = [_r(sentiment_accuracy=0.926), _r(topic_micro_f1=0.758, topic_micro_precision=0.5)]
    far = [_r(sentiment_accuracy=0.931), _r(topic_micro_f1=0.750)]
    same = [_r(sentiment_accuracy=0.930), _r(topic_micro_f1=0.760)]
    choice, drops = choose_default_runtime({"onnx-int8": close, "onnx-fp32": same}, torch_r)
    assert choice == "onnx-int8"  # precision alone is not a score
    choice, drops = choose_default_runtime({"onnx-int8": far, "onnx-fp32": same}, torch_r)
    assert choice == "onnx-fp32" and drops["onnx-int8"] == pytest.approx(0.010) and drops["onnx-fp32"] == 0.0
    choice, _ = choose_default_runtime({"onnx-int8": far}, torch_r)
    assert choice == "torch"


@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")
def test_evaluate_set_scores_sentiment_and_topics_with_the_baseline():
    clf = LexiconClassifier()
    zj = evaluate_set(clf, "zhijiang2019_ecommerce_opinion", limit=120)
    assert zj.n == 120 and {"sentiment_accuracy", "topic_micro_f1", "topic_macro_f1"} <= set(zj.metrics)
    assert 0.3 < zj.metrics["topic_micro_f1"] < 1.0 and zj.topic_errors
    shop = evaluate_set(clf, "online_shopping_10_cats", limit=200)
    assert len(shop.confusion) == 2 and sum(map(sum, shop.confusion)) == 200
    assert sum(row[0] for row in shop.confusion) > 0 and sum(row[1] for row in shop.confusion) > 0  # both labels sampled
    text = format_report(clf.version, [zj, shop])
    assert "zhijiang2019_ecommerce_opinion" in text and "sentiment confusion" in text
