#!/usr/bin/python3
"""Trains DBSA Studio's built-in many-shot in-context-learning model and writes it as a GGUF.

A small Llama (RMSNorm, RoPE in the `llama` GGUF layout = adjacent pairs, GQA, SwiGLU, tied output)
learns to classify a query by the labels of the demonstrations before it, on sequences formatted
exactly as DBSA prompts are (icl/template.cpp: `{x_prefix}{text}\\n{y_prefix}{label}`, joined by
`\\n==\\n`). Only the train splits of TREC, Banking77, Clinic150 and NLU are read. Every sequence
renames the labels at random (so names cannot be memorised and must be read from the context), the loss
is on the label tokens, attention is plain dense causal (DBSA is training-free). Two training-only
auxiliaries make the matching circuit learnable in a CPU hour: a linear type probe (dropped at export)
that teaches the lower layers what kind of question a demonstration asks, first on 32-token sequences,
and a pull of one head toward the label tokens of earlier same-class demonstrations.
resources/models/README.md has the recipe, the run it produced and its metrics.

Usage (Debian 12, packaging/deps-trainer.sh installs the two packages):
  /usr/bin/python3 resources/models/train_icl_model.py --data-dir ../shared/data --out-dir resources/models
"""
import argparse
import csv
import json
import math
import os
import random
import re
import struct
import sys
import tempfile
import time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn.functional as F

SEPARATOR = "\n==\n"
TEMPLATES = {
    "trec": ("Question: ", "Type: "),
    "trec-fine": ("Question: ", "Type: "),
    "banking77": ("query: ", "intent: "),
    "clinic150": ("utterance: ", "intent: "),
    "nlu": ("utterance: ", "intent: "),
}


# ---------------------------------------------------------------------------------------------------
# Data: train splits only (the test rows and the test250 subsets are never opened).


def clean(text):
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def load_trec(data_dir):
    names = {}
    with open(os.path.join(data_dir, "trec", "labels.tsv"), encoding="utf-8") as f:
        for line in f:
            tag, name = line.rstrip("\n").split("\t")
            names[tag] = name
    coarse, fine = [], []
    with open(os.path.join(data_dir, "trec", "train_5500.label"), encoding="latin-1") as f:
        for line in f:
            label, text = line.rstrip("\n").split(" ", 1)
            tag = label.split(":")[0]
            coarse.append((clean(text), names[tag]))
            fine.append((clean(text), names[label]))
    return coarse, fine


def load_banking(data_dir):
    rows = []
    with open(os.path.join(data_dir, "banking77", "train.csv"), encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            rows.append((clean(r["text"]), r["category"].replace("_", " ")))
    return rows


def load_clinic(data_dir):
    with open(os.path.join(data_dir, "clinic150", "data_full.json"), encoding="utf-8") as f:
        d = json.load(f)
    return [(clean(t), y.replace("_", " ")) for t, y in d["train"]]


def load_nlu(data_dir):
    names = {}
    with open(os.path.join(data_dir, "nlu", "labels.txt"), encoding="utf-8") as f:
        for line in f:
            i, name = line.rstrip("\n").split("\t")
            names[int(i)] = name.replace("_", " ")
    rows = []
    with open(os.path.join(data_dir, "nlu", "train.csv"), encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            rows.append((clean(r["text"]), names[int(r["label"])]))
    return rows


class Dataset:
    """One dataset's train rows grouped by label, with hashed TF-IDF vectors for neighbour draws."""

    def __init__(self, name, rows, dims=2048):
        self.name = name
        self.x_prefix, self.y_prefix = TEMPLATES[name]
        rows = [r for r in rows if r[0]]
        self.texts = [t for t, _ in rows]
        self.labels = sorted({y for _, y in rows})
        self.offset = 0  # first index of this dataset's classes in the type probe (load_datasets)
        index = {y: i for i, y in enumerate(self.labels)}
        self.y = np.array([index[y] for _, y in rows], dtype=np.int64)
        self.by_label = [np.nonzero(self.y == c)[0] for c in range(len(self.labels))]
        feats = np.zeros((len(rows), dims), dtype=np.float32)
        for i, t in enumerate(self.texts):
            words = re.findall(r"\w+", t.lower())
            for w in words + [a + " " + b for a, b in zip(words, words[1:])]:
                feats[i, hash_word(w) % dims] += 1.0
        df = (feats > 0).sum(0)
        feats *= np.log((1 + len(rows)) / (1 + df)) + 1.0
        # A fixed random projection to 256 dimensions keeps cosine similarities close (Johnson-
        # Lindenstrauss) and makes each neighbour draw cheap.
        proj = np.random.default_rng(0).standard_normal((dims, 256)).astype(np.float32)
        feats = feats @ proj
        feats /= np.linalg.norm(feats, axis=1, keepdims=True) + 1e-6
        self.feats = torch.from_numpy(feats)


def hash_word(w):
    # Python's hash() is salted per process; a fixed FNV-1a keeps the draws reproducible.
    h = 2166136261
    for b in w.encode("utf-8"):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def load_datasets(data_dir):
    coarse, fine = load_trec(data_dir)
    datasets = [
        Dataset("trec", coarse),
        Dataset("trec-fine", fine),
        Dataset("banking77", load_banking(data_dir)),
        Dataset("clinic150", load_clinic(data_dir)),
        Dataset("nlu", load_nlu(data_dir)),
    ]
    offset = 0
    for ds in datasets:
        ds.offset = offset
        offset += len(ds.labels)
    return datasets


# ---------------------------------------------------------------------------------------------------
# Tokenizer: a SentencePiece BPE vocabulary trained on the formatted train text, with the settings that
# make SentencePiece's encoding equal to the llama-style merge-by-score tokenizer of text/spm_tokenizer.cpp
# (identity normalisation, byte fallback, digits split, whitespace kept as it is).


def train_tokenizer(datasets, vocab_size, out_prefix, rng):
    lines = []
    for ds in datasets:
        for t, y in zip(ds.texts, ds.y):
            lines.extend([ds.x_prefix + t, ds.y_prefix + ds.labels[y], "=="])
    rng.shuffle(lines)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
        corpus = f.name
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=out_prefix, model_type="bpe", vocab_size=vocab_size,
        character_coverage=0.9995, byte_fallback=True, split_digits=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        allow_whitespace_only_pieces=True, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        num_threads=2, max_sentence_length=8192, minloglevel=2)
    os.unlink(corpus)
    sp = spm.SentencePieceProcessor(model_file=out_prefix + ".model")
    for i in range(sp.get_piece_size()):
        if "\n" in sp.id_to_piece(i):
            raise SystemExit("tokenizer: a piece contains a newline; label masks assume it never merges")
    return sp


# ---------------------------------------------------------------------------------------------------
# Training sequences.


class SequenceMaker:
    """Draws DBSA-formatted many-shot sequences and marks their label tokens.

    Each sequence takes k classes of one dataset, renames them (most of the time) with names drawn from
    every dataset's label names, and fills the context with demonstrations in small shuffled groups per
    class (where counting names cannot help), drawn at random ("in-order": what a seeded pool draw
    gives), or as neighbourhoods of similar demonstrations ("similar first": what BM25-retrieved blocks
    give), optionally with exact repeats. Repeats and few classes make
    the copy-the-label-of-the-similar-demonstration circuit easy to find early; the curriculum then
    moves to new queries, more classes and longer contexts.
    """

    def __init__(self, datasets, sp, weights, p_true, rng, dup_start=0.5, dup_until=0.5, p_pairs=0.7):
        self.datasets = datasets
        self.p_pairs = p_pairs
        self.dup_start, self.dup_until = dup_start, dup_until
        self.sp = sp
        self.weights = np.array(weights, dtype=np.float64) / sum(weights)
        self.p_true = p_true
        self.rng = rng
        self.name_pool = sorted({y for ds in datasets for y in ds.labels})
        self.nl = sp.piece_to_id("<0x0A>")
        self.prefix_len = {}
        for ds in datasets:
            # Tokens of "\n{y_prefix}" without its trailing space, as they appear inside a sequence.
            ids = sp.encode("==\n" + ds.y_prefix.rstrip())
            self.prefix_len[ds.name] = len(ids) - ids.index(self.nl) - 1

    def nearest(self, ds, anchor, members, m):
        cand = self.rng.choice(members, size=min(1024, len(members)), replace=False)
        sims = ds.feats[cand] @ ds.feats[anchor]
        near = cand[torch.topk(sims, min(m + 1, len(cand))).indices.numpy()]
        return [int(i) for i in near if i != anchor][:m]

    def draw(self, n_tokens, progress):
        rng = self.rng
        ds = self.datasets[rng.choice(len(self.datasets), p=self.weights)]
        n_cls = len(ds.labels)
        avg = 12 + sum(len(t) for t in ds.texts[:200]) / 200 / 3.5
        n_demos = int(n_tokens / avg * 1.3) + 4
        pairs = rng.random() < self.p_pairs * (1 - 0.6 * progress)
        if pairs:
            k = min(n_cls, max(2, n_demos // 2))  # about two demonstrations a class
        else:
            k_max = min(n_cls, int(3 + progress * 27))
            k = int(rng.integers(2, k_max + 1))
        classes = rng.choice(n_cls, size=k, replace=False)
        if rng.random() < self.p_true:
            names = [ds.labels[c] for c in classes]
        else:
            pick = rng.choice(len(self.name_pool), size=k, replace=False)
            names = [self.name_pool[i] for i in pick]
        name_of = {int(c): n for c, n in zip(classes, names)}
        members = np.concatenate([ds.by_label[c] for c in classes])
        p_dup = max(0.05, self.dup_start * (1 - progress / self.dup_until))
        order = []
        if pairs:
            # Many classes in small groups of 1-4 demonstrations each, shuffled: counting names tells
            # nothing (a name seen once or three times is as likely to come next), only matching the
            # query to the members of its group can name it. Members start as exact repeats of the
            # group's first demonstration, then become its nearest neighbours in the class, or any.
            p_exact = max(0.0, 0.6 * (1 - progress / 0.4))
            i = 0
            while len(order) < n_demos:
                c = int(classes[i % k])
                i += 1
                a = int(rng.choice(ds.by_label[c]))
                group = [a]
                for _ in range(int(rng.choice([0, 1, 1, 2, 3]))):
                    r = rng.random()
                    if r < p_exact:
                        group.append(a)
                    elif r < p_exact + 0.5 * (1 - p_exact):
                        group.append((self.nearest(ds, a, ds.by_label[c], 1) or [a])[0])
                    else:
                        group.append(int(rng.choice(ds.by_label[c])))
                order += group
            rng.shuffle(order)
            p_dup = 0.0
        elif rng.random() < 0.5:
            order = list(rng.choice(members, size=min(n_demos, len(members)), replace=False))
        else:
            while len(order) < n_demos:
                anchor = int(rng.choice(members))
                order.extend([anchor] + self.nearest(ds, anchor, members, int(rng.integers(2, 9))))
            order = order[:n_demos]
            if rng.random() < 0.5:
                rng.shuffle(order)
        out = []
        for i in order:
            out.append(i)
            if len(out) > 2 and rng.random() < p_dup:
                out.append(out[int(rng.integers(0, len(out) - 1))])
        demos = [ds.x_prefix + ds.texts[i] + "\n" + ds.y_prefix + name_of[int(ds.y[i])] for i in out]
        # Only labels the context has already shown are targets: a name's first appearance cannot be
        # inferred from the context, and training on it would only teach a prior over names.
        seen, shown = set(), []
        for i in out:
            shown.append(int(ds.y[i]) in seen)
            seen.add(int(ds.y[i]))
        ids = self.sp.encode(SEPARATOR.join(demos))[: n_tokens + 1]
        mask, firsts = self.label_mask(ids, ds, shown)
        # Per demonstration in the sequence: the position of its label's first token and its true class
        # among all datasets' classes (the type probe's target; never a label name).
        labels = [(f, ds.offset + int(ds.y[i])) for f, i in zip(firsts, out)]
        return ids, mask, labels

    def label_mask(self, ids, ds, shown):
        """1 where the next token is a label token (or the newline ending a label) of a demonstration
        whose label name appeared earlier in the sequence."""
        mask = np.zeros(len(ids), dtype=np.float32)
        firsts = []
        line, start = 0, 0
        for pos in range(len(ids) + 1):
            if pos < len(ids) and ids[pos] != self.nl:
                continue
            # Lines cycle x, y, "==": the y line of demo d is line 3d + 1.
            if line % 3 == 1 and start + self.prefix_len[ds.name] < len(ids):
                firsts.append(start + self.prefix_len[ds.name])
            if line % 3 == 1 and shown[line // 3]:
                first = start + self.prefix_len[ds.name]
                last = min(pos, len(ids) - 1)  # the newline ending the label is a target too
                # The target at position p is ids[p + 1]: mark the positions before each label token.
                if first - 1 < last:
                    mask[first - 1:last] = 1.0
                    mask[first - 1] = 2.0  # the label's first token: the in-context decision
            line += 1
            start = pos + 1
        return mask, firsts


# ---------------------------------------------------------------------------------------------------
# Model: the Llama graph of engine/llama_model.cpp, written out in torch.


def rope_tables(n_pos, head_dim, base):
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    ang = torch.arange(n_pos, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    # Adjacent pairs (x[2i], x[2i+1]) rotate together: the `llama` GGUF layout, no export permutation.
    t = x.shape[-2]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    c, s = cos[:t], sin[:t]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)


class Llama(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d, h, kv, ff = cfg["n_embd"], cfg["n_head"], cfg["n_head_kv"], cfg["n_ff"]
        hd = d // h
        self.tok = torch.nn.Embedding(cfg["n_vocab"], d)
        self.layers = torch.nn.ModuleList()
        for _ in range(cfg["n_layer"]):
            layer = torch.nn.Module()
            layer.attn_norm = torch.nn.Parameter(torch.ones(d))
            layer.q = torch.nn.Linear(d, h * hd, bias=False)
            layer.k = torch.nn.Linear(d, kv * hd, bias=False)
            layer.v = torch.nn.Linear(d, kv * hd, bias=False)
            layer.o = torch.nn.Linear(h * hd, d, bias=False)
            layer.ffn_norm = torch.nn.Parameter(torch.ones(d))
            layer.gate = torch.nn.Linear(d, ff, bias=False)
            layer.up = torch.nn.Linear(d, ff, bias=False)
            layer.down = torch.nn.Linear(ff, d, bias=False)
            self.layers.append(layer)
        self.out_norm = torch.nn.Parameter(torch.ones(d))
        torch.nn.init.normal_(self.tok.weight, std=0.02)
        for layer in self.layers:
            for lin in (layer.q, layer.k, layer.v, layer.gate, layer.up):
                torch.nn.init.normal_(lin.weight, std=0.02)
            for lin in (layer.o, layer.down):
                torch.nn.init.normal_(lin.weight, std=0.02 / math.sqrt(2 * cfg["n_layer"]))
        self.cos, self.sin = rope_tables(cfg["n_ctx"], hd, cfg["rope_base"])

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.cfg["eps"]) * w

    def hidden(self, ids, capture=None, tap=None):
        """The final-norm hidden states; with capture = (layer, head), also that head's softmax weights
        (batch, queries, keys) for the attention-supervision loss; with tap = n, also the residual stream
        after the first n layers (the type probe's input)."""
        cfg = self.cfg
        b, t = ids.shape
        h, kv = cfg["n_head"], cfg["n_head_kv"]
        hd = cfg["n_embd"] // h
        x = self.tok(ids)
        g = h // kv
        # The causal mask repeated for the g query heads sharing a KV head; baddbmm adds it and scales
        # the scores in the product itself (a separate divide and add cost a fifth of a step).
        causal = torch.full((t, t), float("-inf")).triu(1).repeat(g, 1)
        tapped = captured = None
        for li, layer in enumerate(self.layers):
            if tap == li:
                tapped = x
            a = self.rms(x, layer.attn_norm)
            q = apply_rope(layer.q(a).view(b, t, h, hd).transpose(1, 2), self.cos, self.sin)
            k = apply_rope(layer.k(a).view(b, t, kv, hd).transpose(1, 2), self.cos, self.sin)
            v = layer.v(a).view(b, t, kv, hd).transpose(1, 2)
            # GQA: query head j uses KV head j // (h / kv), as engine/attention.cpp does.
            q = q.reshape(b * kv, g * t, hd)
            s = torch.baddbmm(causal, q, k.reshape(b * kv, t, hd).transpose(1, 2), alpha=1.0 / math.sqrt(hd))
            p = torch.softmax(s, dim=-1)
            if capture is not None and layer is self.layers[capture[0]]:
                captured = p.view(b, kv, g, t, t)[:, capture[1] // g, capture[1] % g]
            o = torch.bmm(p, v.reshape(b * kv, t, hd)).view(b, h, t, hd).transpose(1, 2).reshape(b, t, h * hd)
            x = x + layer.o(o)
            f = self.rms(x, layer.ffn_norm)
            x = x + layer.down(F.silu(layer.gate(f)) * layer.up(f))
        out = self.rms(x, self.out_norm)
        if capture is None and tap is None:
            return out
        return out, captured, tapped

    def logits(self, hidden):
        return hidden @ self.tok.weight.t()


# ---------------------------------------------------------------------------------------------------
# Evaluation during training: held-out train rows (never test rows), true label names, in-context
# accuracy by constrained choice among the label names' first tokens.


class HeldOut:
    def __init__(self, ds, sp, n_eval, rng):
        self.ds, self.sp = ds, sp
        idx = rng.permutation(len(ds.texts))
        self.queries = idx[:n_eval]
        self.pool = idx[n_eval:]
        # The first token of each true label name (a monitor: labels sharing one are told apart by the
        # engine's constrained decoding, not here).
        self.first = [label_first_token(sp, ds, y) for y in ds.labels]

    def accuracy(self, model, n_demos, rng, limit):
        ds = self.ds
        correct = 0
        ctx_ids = []
        for qi in self.queries[:limit]:
            demos = rng.choice(self.pool, size=n_demos, replace=False) if n_demos else []
            parts = [ds.x_prefix + ds.texts[i] + "\n" + ds.y_prefix + ds.labels[ds.y[i]] for i in demos]
            parts.append(ds.x_prefix + ds.texts[qi] + "\n" + ds.y_prefix.rstrip())
            ids = self.sp.encode(SEPARATOR.join(parts))[-model.cfg["n_ctx"]:]
            ctx_ids.append(len(ids))
            with torch.no_grad():
                h = model.hidden(torch.tensor([ids]))[0, -1]
                lg = model.logits(h)
            pred = int(torch.argmax(lg[self.first]))
            correct += int(pred == ds.y[qi])
        return correct / min(limit, len(self.queries)), float(np.mean(ctx_ids))


def label_first_token(sp, ds, y):
    ids = sp.encode("==\n" + ds.y_prefix + y)
    pre = sp.encode("==\n" + ds.y_prefix.rstrip())
    return ids[len(pre)]


# ---------------------------------------------------------------------------------------------------
# GGUF export (v3): the `llama` architecture and SentencePiece tokenizer keys model/model_hparams.cpp
# and text/vocab.cpp read.

GGUF_U32, GGUF_I32, GGUF_F32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 7, 8, 9
GGML_F32, GGML_F16 = 0, 1


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_kv(key, vtype, value):
    out = gguf_string(key) + struct.pack("<I", vtype)
    if vtype == GGUF_U32:
        return out + struct.pack("<I", value)
    if vtype == GGUF_F32:
        return out + struct.pack("<f", value)
    if vtype == GGUF_BOOL:
        return out + struct.pack("<B", 1 if value else 0)
    if vtype == GGUF_STRING:
        return out + gguf_string(value)
    etype, items = value
    out += struct.pack("<IQ", etype, len(items))
    if etype == GGUF_STRING:
        return out + b"".join(gguf_string(s) for s in items)
    fmt = {GGUF_F32: "f", GGUF_I32: "i"}[etype]
    return out + struct.pack("<%d%s" % (len(items), fmt), *items)


def export_tensors(model, dtype):
    """(name, array) in GGUF order; matrices in `dtype`, norms F32. torch's [out, in] row-major is
    GGUF's ne = [in, out]."""
    out = [("token_embd.weight", model.tok.weight)]
    for i, layer in enumerate(model.layers):
        out += [(f"blk.{i}.attn_norm.weight", layer.attn_norm), (f"blk.{i}.attn_q.weight", layer.q.weight),
                (f"blk.{i}.attn_k.weight", layer.k.weight), (f"blk.{i}.attn_v.weight", layer.v.weight),
                (f"blk.{i}.attn_output.weight", layer.o.weight), (f"blk.{i}.ffn_norm.weight", layer.ffn_norm),
                (f"blk.{i}.ffn_gate.weight", layer.gate.weight), (f"blk.{i}.ffn_up.weight", layer.up.weight),
                (f"blk.{i}.ffn_down.weight", layer.down.weight)]
    out.append(("output_norm.weight", model.out_norm))
    arrays = []
    for name, t in out:
        a = t.detach().float().numpy()
        arrays.append((name, a.astype(dtype if a.ndim == 2 else np.float32)))
    return arrays


def write_gguf(path, model, sp, dtype, name):
    cfg = model.cfg
    hd = cfg["n_embd"] // cfg["n_head"]
    types = []
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i):
            types.append(2)
        elif sp.is_control(i):
            types.append(3)
        elif sp.is_byte(i):
            types.append(6)
        else:
            types.append(1)
    kvs = [
        gguf_kv("general.architecture", GGUF_STRING, "llama"),
        gguf_kv("general.name", GGUF_STRING, name),
        gguf_kv("general.file_type", GGUF_U32, 1 if dtype == np.float16 else 0),
        gguf_kv("general.alignment", GGUF_U32, 32),
        gguf_kv("llama.context_length", GGUF_U32, cfg["n_ctx"]),
        gguf_kv("llama.embedding_length", GGUF_U32, cfg["n_embd"]),
        gguf_kv("llama.block_count", GGUF_U32, cfg["n_layer"]),
        gguf_kv("llama.feed_forward_length", GGUF_U32, cfg["n_ff"]),
        gguf_kv("llama.attention.head_count", GGUF_U32, cfg["n_head"]),
        gguf_kv("llama.attention.head_count_kv", GGUF_U32, cfg["n_head_kv"]),
        gguf_kv("llama.rope.dimension_count", GGUF_U32, hd),
        gguf_kv("llama.rope.freq_base", GGUF_F32, cfg["rope_base"]),
        gguf_kv("llama.attention.layer_norm_rms_epsilon", GGUF_F32, cfg["eps"]),
        gguf_kv("llama.vocab_size", GGUF_U32, cfg["n_vocab"]),
        gguf_kv("tokenizer.ggml.model", GGUF_STRING, "llama"),
        gguf_kv("tokenizer.ggml.pre", GGUF_STRING, "default"),
        gguf_kv("tokenizer.ggml.tokens", GGUF_ARRAY,
                (GGUF_STRING, [sp.id_to_piece(i) for i in range(sp.get_piece_size())])),
        gguf_kv("tokenizer.ggml.scores", GGUF_ARRAY,
                (GGUF_F32, [sp.get_score(i) for i in range(sp.get_piece_size())])),
        gguf_kv("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_I32, types)),
        gguf_kv("tokenizer.ggml.bos_token_id", GGUF_U32, sp.bos_id()),
        gguf_kv("tokenizer.ggml.eos_token_id", GGUF_U32, sp.eos_id()),
        gguf_kv("tokenizer.ggml.unknown_token_id", GGUF_U32, sp.unk_id()),
        # Trained without BOS, as the paper's pools are tokenized (docs/METHOD.md "Prompt format").
        gguf_kv("tokenizer.ggml.add_bos_token", GGUF_BOOL, False),
        gguf_kv("tokenizer.ggml.add_eos_token", GGUF_BOOL, False),
        gguf_kv("tokenizer.ggml.add_space_prefix", GGUF_BOOL, True),
    ]
    tensors = export_tensors(model, dtype)
    infos, offset = [], 0
    for name, a in tensors:
        ggml_type = GGML_F16 if a.dtype == np.float16 else GGML_F32
        info = gguf_string(name) + struct.pack("<I", a.ndim)
        info += b"".join(struct.pack("<Q", n) for n in reversed(a.shape))
        info += struct.pack("<IQ", ggml_type, offset)
        infos.append(info)
        offset += (a.nbytes + 31) // 32 * 32
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)))
        f.write(b"".join(kvs) + b"".join(infos))
        f.write(b"\0" * (-f.tell() % 32))
        for _, a in tensors:
            f.write(a.tobytes())
            f.write(b"\0" * (-a.nbytes % 32))
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------
# Reference logits for tests/cli/trained_model_logits.sh: torch in float64 over the exported
# (F16-rounded) weights, so the test measures our engine, not the rounding.


def reference_prompts(datasets, sp, n_ctx, rng):
    trec = next(ds for ds in datasets if ds.name == "trec")
    banking = next(ds for ds in datasets if ds.name == "banking77")

    def prompt(ds, n, query):
        idx = rng.choice(len(ds.texts), size=n + 1, replace=False)
        while True:  # as many demonstrations as fit in the context
            parts = [ds.x_prefix + ds.texts[i] + "\n" + ds.y_prefix + ds.labels[ds.y[i]] for i in idx[:n]]
            text = SEPARATOR.join(parts + [ds.x_prefix + (query or ds.texts[idx[n]]) + "\n" + ds.y_prefix.rstrip()])
            if len(sp.encode(text)) <= n_ctx - 16:
                return text
            n -= 1

    return {
        "trec-long": prompt(trec, 90, None),
        "banking-few": prompt(banking, 6, None),
        "zero-shot": prompt(trec, 0, "What is the capital of France ?"),
    }


def write_references(model, sp, dtype, out_dir, datasets, rng):
    ref = Llama(model.cfg).double()
    with torch.no_grad():
        src = dict(model.named_parameters())
        for n, p in ref.named_parameters():
            w = src[n].detach().float().numpy()
            p.copy_(torch.from_numpy(w.astype(dtype if w.ndim == 2 else np.float32).astype(np.float64)))
    ref.cos, ref.sin = ref.cos.double(), ref.sin.double()
    os.makedirs(out_dir, exist_ok=True)
    summary = {}
    for name, text in reference_prompts(datasets, sp, model.cfg["n_ctx"], rng).items():
        ids = sp.encode(text)
        with torch.no_grad():
            logits = ref.logits(ref.hidden(torch.tensor([ids]))[0])
        with open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        with open(os.path.join(out_dir, name + ".tokens"), "w") as f:
            f.write("".join(f"{i}\n" for i in ids))
        logits[-1].float().numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".logits"))
        with open(os.path.join(out_dir, name + ".argmax"), "w") as f:
            for i, row in enumerate(logits):
                j = int(torch.argmax(row))
                f.write(f"{i} {j} {float(row[j]):.6f}\n")
        summary[name] = len(ids)
    return summary


# ---------------------------------------------------------------------------------------------------


def stage_of(frac, stages):
    for end, seq in stages:
        if frac < end:
            return seq
    return stages[-1][1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--name", default="dbsa-icl-mini")
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-embd", type=int, default=128)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-head-kv", type=int, default=2)
    ap.add_argument("--n-ff", type=int, default=384)
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--tokens-per-step", type=int, default=4096)
    ap.add_argument("--stages", default="0.08:32,0.25:128,0.45:256,0.65:512,0.85:1024,1:2048",
                    help="curriculum of sequence lengths: end-fraction:tokens,...")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--lm-weight", type=float, default=0.2, help="weight of the auxiliary next-token loss")
    ap.add_argument("--p-true", type=float, default=0.0,
                    help="share of sequences keeping true label names (0: a name never means anything outside "
                         "its sequence, so zero-shot stays at chance and only the context can name a class)")
    ap.add_argument("--dup-start", type=float, default=0.5,
                    help="chance of an exact repeat after each demonstration at the start of the run")
    ap.add_argument("--dup-until", type=float, default=0.5,
                    help="progress at which repeats fall to their floor of 5%%")
    ap.add_argument("--p-pairs", type=float, default=0.7,
                    help="share of grouped sequences at the start (falls to 40%% of it by the end)")
    ap.add_argument("--attn-head", default="3:0",
                    help="layer:head whose attention the supervision loss shapes (training only)")
    ap.add_argument("--attn-weight", type=float, default=0.5,
                    help="weight of the attention-supervision loss (0: off)")
    ap.add_argument("--probe-layer", type=int, default=2,
                    help="the type probe reads the residual stream after this many layers (training only)")
    ap.add_argument("--probe-weight", type=float, default=1.0,
                    help="weight of the type-probe loss (0: off)")
    ap.add_argument("--weights", default="trec:5,trec-fine:2,banking77:1,clinic150:1,nlu:1")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-minutes", type=float, default=52.0,
                    help="training time budget: progress is the larger of step/steps and time/budget")
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--final-queries", type=int, default=200, help="held-out TREC rows of the final check")
    ap.add_argument("--dtype", choices=["f16", "f32"], default="f16")
    ap.add_argument("--profile", action="store_true", help="time 5 steps per stage and exit")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    log = lambda *a: print(f"[{time.time() - t0:7.1f}s]", *a, flush=True)

    datasets = load_datasets(args.data_dir)
    log("datasets:", ", ".join(f"{d.name} {len(d.texts)} rows / {len(d.labels)} labels" for d in datasets))
    os.makedirs(args.out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="dbsa-train-")
    sp = train_tokenizer(datasets, args.vocab, os.path.join(work, "spm"), random.Random(args.seed))
    log("tokenizer:", sp.get_piece_size(), "pieces")
    weights = dict(w.split(":") for w in args.weights.split(","))
    maker = SequenceMaker(datasets, sp, [float(weights[d.name]) for d in datasets], args.p_true, rng,
                          args.dup_start, args.dup_until, args.p_pairs)
    trec = next(d for d in datasets if d.name == "trec")
    held = HeldOut(trec, sp, 200, np.random.default_rng(args.seed + 1))
    # Held-out TREC train rows are neither drawn for training nor for the reference prompts.
    keep = np.ones(len(trec.texts), dtype=bool)
    keep[held.queries] = False
    trec.by_label = [np.nonzero((trec.y == c) & keep)[0] for c in range(len(trec.labels))]

    cfg = dict(n_vocab=sp.get_piece_size(), n_embd=args.n_embd, n_layer=args.n_layer, n_head=args.n_head,
               n_head_kv=args.n_head_kv, n_ff=args.n_ff, n_ctx=args.n_ctx, rope_base=10000.0, eps=1e-5)
    model = Llama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    log("model:", json.dumps(cfg), f"{n_params / 1e6:.2f}M parameters")
    stages = [(float(a), int(b)) for a, b in (s.split(":") for s in args.stages.split(","))]
    attn_head = tuple(int(v) for v in args.attn_head.split(":"))
    # The type probe: a linear map from the residual stream, at each demonstration's decision position
    # and at its label's first token, to the demonstration's true class among all datasets' classes. It
    # teaches the lower layers what kind of question they read (the features a query is matched on)
    # without ever tying a class to a label name, and is dropped at export.
    n_classes = sum(len(d.labels) for d in datasets)
    probe = torch.nn.Linear(args.n_embd, n_classes)
    torch.nn.init.normal_(probe.weight, std=0.02)
    decay = [p for n, p in model.named_parameters() if p.ndim == 2] + [probe.weight]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2] + [probe.bias]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 30)
    curve = []
    tokens_seen = 0
    train_t0 = time.time()
    ema = None
    steps_done = 0
    # Progress drives the curriculum and the learning rate: the step count, or the time budget on a
    # machine slower than the one the step count was sized on (the run still ends with its last stage).
    for step in range(10 ** 9):
        frac = max(step / args.steps, (time.time() - train_t0) / (args.max_minutes * 60))
        if frac >= 1.0:
            break
        seq = stage_of(frac, stages)
        batch = max(1, args.tokens_per_step // seq)
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        ids = np.zeros((batch, seq + 1), dtype=np.int64)
        mask = np.zeros((batch, seq), dtype=np.float32)
        sup_b, sup_q, sup_k = [], [], []  # attention supervision: (sequence, query position, key positions)
        probe_b, probe_pos, probe_cls = [], [], []  # type probe: (sequence, position, true class)
        for b in range(batch):
            s, m, labs = maker.draw(seq, frac)
            ids[b, :len(s)] = s
            mask[b, :len(s) - 1] = m[:len(s) - 1]
            if args.probe_weight > 0:
                for f, c in labs:
                    for pos in (f - 1, f):
                        if pos < min(seq, len(s) - 1):
                            probe_b.append(b)
                            probe_pos.append(pos)
                            probe_cls.append(c)
            if args.attn_weight > 0:
                for i, (f, c) in enumerate(labs):
                    if f - 1 >= seq:
                        break
                    keys = [fj for fj, cj in labs[:i] if cj == c]
                    if keys:
                        sup_b.append(b)
                        sup_q.append(f - 1)
                        sup_k.append(keys)
        x = torch.from_numpy(ids[:, :-1])
        y = torch.from_numpy(ids[:, 1:])
        sel = torch.from_numpy(mask > 0)
        first_sel = torch.from_numpy(mask[mask > 0] == 2)
        h, att, tapped = model.hidden(x, capture=attn_head if args.attn_weight > 0 else None,
                                      tap=args.probe_layer if args.probe_weight > 0 else None)
        label_logits = model.logits(h[sel])
        loss = F.cross_entropy(label_logits, y[sel])
        hits = label_logits.argmax(-1) == y[sel]
        label_acc = hits[first_sel].float().mean().item()
        total = loss
        att_loss = torch.zeros(())
        probe_loss, probe_acc = torch.zeros(()), 0.0
        if probe_b:
            z = tapped[torch.tensor(probe_b), torch.tensor(probe_pos)]
            z = z * torch.rsqrt(z.pow(2).mean(-1, keepdim=True) + cfg["eps"])
            pl = probe(z)
            target = torch.tensor(probe_cls)
            probe_loss = F.cross_entropy(pl, target)
            probe_acc = (pl.argmax(-1) == target).float().mean().item()
            total = total + args.probe_weight * probe_loss
        if sup_b:
            # The supervised head, at the position that predicts a label, should look at the label tokens
            # of the earlier demonstrations of the same class: -log of the weight it puts on them.
            target = torch.zeros(len(sup_b), seq)
            for r, keys in enumerate(sup_k):
                target[r, keys] = 1.0
            rows = att[torch.tensor(sup_b), torch.tensor(sup_q)]
            att_loss = -torch.log((rows * target).sum(-1) + 1e-6).mean()
            total = total + args.attn_weight * att_loss
        if args.lm_weight > 0:
            # Next-token loss on every token, a small auxiliary term: the repeated questions of bursty
            # sequences train the copying (induction) heads the label predictions then reuse.
            valid = torch.from_numpy(ids[:, 1:] != 0) & ~sel
            lm = F.cross_entropy(model.logits(h[valid]), y[valid])
            total = total + args.lm_weight * lm
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(list(model.parameters()) + list(probe.parameters()), 1.0)
        opt.step()
        steps_done = step + 1
        tokens_seen += batch * seq
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        elapsed = time.time() - train_t0
        if args.profile and step % 5 == 4:
            log(f"profile seq {seq} batch {batch}: {tokens_seen / elapsed:.0f} tokens/s")
            if step >= 14:
                return
        if step % 20 == 0:
            log(f"step {step} seq {seq} lr {lr:.2e} loss {loss.item():.3f} ema {ema:.3f} first-token-acc {label_acc:.2f} "
                f"attn {att_loss.item():.3f} probe {probe_loss.item():.3f}/{probe_acc:.2f} "
                f"{tokens_seen / elapsed:.0f} tok/s")
        if (step + 1) % args.eval_every == 0:
            erng = np.random.default_rng(7)
            point = {"step": step + 1, "minutes": elapsed / 60, "tokens": tokens_seen, "label_loss_ema": ema}
            for n in (0, 10, 40):
                acc, ctx = held.accuracy(model, n, erng, 60)
                point[f"trec_acc_{n}"] = acc
            curve.append(point)
            log("eval", json.dumps(point))
            torch.save({"cfg": cfg, "state": model.state_dict(), "step": steps_done}, os.path.join(work, "model.pt"))
    train_minutes = (time.time() - train_t0) / 60
    erng = np.random.default_rng(8)
    final = {n: held.accuracy(model, n, erng, args.final_queries) for n in (0, 10, 40, 80)}
    log("final held-out TREC accuracy by demos in context:", json.dumps(final))

    dtype = np.float16 if args.dtype == "f16" else np.float32
    path = os.path.join(args.out_dir, args.name + ".gguf")
    write_gguf(path, model, sp, dtype, args.name)
    refs = write_references(model, sp, dtype, os.path.join(args.out_dir, "reference"), datasets,
                            np.random.default_rng(args.seed + 2))
    torch.save({"cfg": cfg, "state": model.state_dict()}, os.path.join(work, "model.pt"))
    report = {"config": cfg, "parameters": n_params, "args": vars(args), "steps": steps_done,
              "tokens": tokens_seen, "train_minutes": train_minutes, "total_minutes": (time.time() - t0) / 60,
              "threads": args.threads, "torch": torch.__version__, "curve": curve,
              "final_heldout_trec": {str(k): {"accuracy": v[0], "mean_tokens": v[1]} for k, v in final.items()},
              "reference_prompts": refs, "gguf_bytes": os.path.getsize(path)}
    with open(os.path.join(args.out_dir, "training-log.json"), "w") as f:
        json.dump(report, f, indent=1)
    log(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB), references, training-log.json; work dir {work}")


if __name__ == "__main__":
    sys.exit(main())
