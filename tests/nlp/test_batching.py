import numpy as np
import pytest

from nlp.batching import PAD_ID, TextEncoder, length_batches, pad
from nlp.encoder import tokenizer_json_path


@pytest.fixture(scope="module")
def encoder():
    return TextEncoder(tokenizer_json_path(), max_length=16, tail=4)


def test_short_text_keeps_every_token_with_prefix_and_specials(encoder):
    (ids,) = encoder.encode(["物流很快"])
    full = encoder.tokenizer.encode("query: 物流很快").ids
    assert ids == full and ids[0] == 0 and ids[-1] == 2 and len(ids) < 16


def test_long_text_keeps_its_start_and_its_end(encoder):
    text = "开头很好 " + "中间 " * 50 + "结尾总之不会再买了"
    (ids,) = encoder.encode([text])
    full = encoder.tokenizer.encode("query: " + text).ids
    assert len(ids) == 16
    assert ids[0] == full[0] and ids[-1] == full[-1]
    assert ids[1:11] == full[1:11]  # head: 16 - 2 specials - 4 tail tokens
    assert ids[11:15] == full[-5:-1]  # tail: the last 4 content tokens
    assert encoder.tokenizer.decode(ids[11:15]).endswith("不会再买了")


def test_bad_truncation_settings_are_rejected():
    with pytest.raises(ValueError, match="truncation"):
        TextEncoder(tokenizer_json_path(), max_length=16, tail=14)


def test_pad_builds_ids_and_mask():
    ids, mask = pad([[0, 5, 2], [0, 2]])
    assert ids.tolist() == [[0, 5, 2], [0, 2, PAD_ID]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0]]


def test_length_batches_cover_every_text_once_sorted_by_length():
    encoded = [[0] + [7] * n + [2] for n in (9, 1, 5, 3, 7, 2, 8)]
    batches = list(length_batches(encoded, batch_size=3))
    seen = np.concatenate([b.positions for b in batches])
    assert sorted(seen.tolist()) == list(range(len(encoded)))
    widths = [b.input_ids.shape[1] for b in batches]
    assert widths == sorted(widths)  # short texts together: little padding
    for b in batches:
        assert b.input_ids.shape[1] == max(len(encoded[p]) for p in b.positions)


def test_length_batches_cap_tokens_per_batch():
    encoded = [[1] * 100 for _ in range(10)]
    batches = list(length_batches(encoded, batch_size=10, max_tokens=300))
    assert all(b.input_ids.size <= 300 for b in batches) and sum(len(b.positions) for b in batches) == 10
