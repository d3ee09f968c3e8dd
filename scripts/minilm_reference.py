#!/usr/bin/env python3
"""Reference embeddings for all-MiniLM-L6-v2, computed by an independent route:
a NumPy BERT forward pass over the same safetensors weights (no torch, no candle),
masked mean pooling and L2 normalisation, as sentence-transformers does.

Usage: python3 scripts/minilm_reference.py MODEL_DIR > memory/tests/fixtures/minilm_reference.json
Needs: pip install numpy safetensors tokenizers
"""
import json
import math
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = [
    "The blue linen shirt with short sleeves",
    "Where is my order? It has not arrived yet.",
    "Stainless steel water bottle, 750ml, keeps drinks cold",
    "I would like to return the hiking boots, they are too small",
    "Office chair with adjustable armrests and a high backrest",
]


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    # BERT's exact (erf) GELU.
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def embed(model_dir, sentences):
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = {k: v.astype(np.float64) for k, v in load_file(f"{model_dir}/model.safetensors").items()}
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(256)
    heads, eps = cfg["num_attention_heads"], cfg["layer_norm_eps"]
    out = []
    for s in sentences:
        enc = tok.encode(s)
        ids = np.array(enc.ids)
        n = len(ids)
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] + w["embeddings.token_type_embeddings.weight"][np.zeros(n, dtype=int)]
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        d = x.shape[1] // heads
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            lin = lambda t, name: t @ w[p + name + ".weight"].T + w[p + name + ".bias"]
            q = lin(x, "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
            k = lin(x, "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
            v = lin(x, "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
            a = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            a = np.exp(a - a.max(-1, keepdims=True))
            a = a / a.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(1, 0, 2).reshape(n, heads * d)
            x = layer_norm(lin(ctx, "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            h = gelu(lin(x, "intermediate.dense"))
            x = layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        pooled = x.mean(0)
        out.append((pooled / np.linalg.norm(pooled)).tolist())
    return out


if __name__ == "__main__":
    vectors = embed(sys.argv[1], SENTENCES)
    json.dump({"model": "all-MiniLM-L6-v2", "route": "numpy BERT forward (scripts/minilm_reference.py)",
               "sentences": SENTENCES, "vectors": [[round(x, 7) for x in v] for v in vectors]}, sys.stdout)
