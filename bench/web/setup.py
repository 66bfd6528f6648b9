#!/usr/bin/env python3
"""Web-page benchmark setup: the content the pages are measured on. Started by bench/web/run.sh,
which starts Stoa and sets the environment (HF_ENDPOINT, HF_HOME, a private HOME for git, ...)
before this file imports huggingface_hub.

Usage:
  setup.py --url URL --token TOKEN --ns NS --repo NAME --work DIR [--files 10000]
           [--folder-files 100] [--big-folder 1000] [--other-repos 200] [--comments 8]

Builds, on the running server:
  * NS/NAME, a model repo filled by one `git push` (git-lfs for the large files) of a generated
    tree of exactly --files files: a model card README.md (YAML metadata, a table, code blocks;
    a few KB), config files, modeling_stoa.py (~300 lines of Python), model.safetensors (a valid
    header, LFS), tokenizer.model and onnx/model.onnx (random bytes, LFS), samples/ with
    --big-folder files, and part_NN/ folders of --folder-files files each (the last one takes
    the remainder); three commits on top of the server's initial one (the bulk commit, a card
    edit, a code + config edit);
  * discussion #1 (a question with --comments Markdown comments) and PR #2 (create_commit with
    create_pr=True, one comment);
  * --other-repos small model repos NS/<family>-<size>-ftNNN (a README with tags each for a
    tenth of them), so the home page, the search and the user page list something.
Progress goes to stderr; one JSON object (paths to measure, counts, timings) to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import struct
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

T0 = time.monotonic()
RNG = random.Random(20261126)  # the same tree on every run


def log(msg: str) -> None:
    print(f"[setup.py {time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def git(*args: str, cwd: str) -> str:
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} exited {r.returncode}: {r.stderr.strip()[:800]}")
    return r.stdout.strip()


# ---- generated content --------------------------------------------------------------------------
CARD = """---
license: apache-2.0
library_name: transformers
pipeline_tag: text-generation
language:
- en
- fr
- de
tags:
- causal-lm
- stoa-bench
- safetensors
datasets:
- bench/web-corpus
base_model: bench/llama-base-ft000
model-index:
- name: webbench-10k
  results:
  - task:
      type: text-generation
    dataset:
      name: HellaSwag
      type: hellaswag
    metrics:
    - type: accuracy
      value: 0.712
---

# WebBench 10k

WebBench 10k is a **1.3B-parameter** decoder-only language model fine-tuned from
[llama-base-ft000](https://example.org/bench/llama-base-ft000) on a mixture of English, French and
German web text. This card follows the usual layout of a model card: what the model is, how to use
it, how it was trained and evaluated, and what it should not be used for.

## Model details

- **Developed by:** the Stoa benchmark
- **Model type:** transformer decoder, rotary position embeddings, grouped-query attention
- **Languages:** English, French, German
- **License:** Apache 2.0
- **Context length:** 4,096 tokens

## How to use

```python
from transformers import AutoModelForCausalLM, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("bench/webbench-10k")
model = AutoModelForCausalLM.from_pretrained("bench/webbench-10k", torch_dtype="auto")

inputs = tokenizer("The capital of France is", return_tensors="pt")
outputs = model.generate(**inputs, max_new_tokens=32, do_sample=False)
print(tokenizer.decode(outputs[0], skip_special_tokens=True))
```

From the command line:

```bash
pip install -U "transformers>=4.40" accelerate
huggingface-cli download bench/webbench-10k --local-dir webbench-10k
python -m transformers.commands.transformers_cli env
```

## Training

| hyper-parameter | value |
| --- | --- |
| learning rate | 3e-4 |
| schedule | cosine, 2,000 warm-up steps |
| batch size | 512 sequences × 4,096 tokens |
| optimizer | AdamW (β1 = 0.9, β2 = 0.95, ε = 1e-8) |
| weight decay | 0.1 |
| precision | bf16 |
| steps | 120,000 |
| hardware | 64 × A100 80 GB |
| training time | 11 days |

The training configuration, as passed to the trainer:

```json
{
  "model_type": "llama",
  "hidden_size": 2048,
  "intermediate_size": 5632,
  "num_attention_heads": 32,
  "num_key_value_heads": 4,
  "num_hidden_layers": 24,
  "rope_theta": 10000.0,
  "vocab_size": 32000
}
```

## Evaluation

| benchmark | shots | WebBench 10k | base model |
| --- | --- | --- | --- |
| HellaSwag | 10 | 71.2 | 68.9 |
| ARC-challenge | 25 | 44.1 | 41.7 |
| MMLU | 5 | 38.5 | 36.2 |
| TruthfulQA | 0 | 40.3 | 39.8 |
| Winogrande | 5 | 66.0 | 64.4 |

## Limitations and bias

The model reproduces biases present in its training data. It can produce *plausible but false*
statements, and it was not tuned to follow instructions or to refuse harmful requests: do not use
it for decisions about people, for medical or legal advice, or unattended in production.

## Files

The repository holds the weights (`model.safetensors`), the tokenizer, an ONNX export, the
modeling code (`modeling_stoa.py`), a thousand evaluation samples under `samples/` and the
pre-processed training shards under `part_NN/`.

## Citation

```bibtex
@misc{webbench10k,
  title  = {WebBench 10k: a benchmark repository},
  author = {Stoa},
  year   = {2026},
  url    = {https://example.org/bench/webbench-10k}
}
```
"""

LAYER = '''

class {name}(nn.Module):
    """{doc}

    Args:
        config: the model configuration ({cfg}).
        layer_idx: index of the layer in the stack, used for caching.
    """

    def __init__(self, config: {cfg}, layer_idx: int = 0) -> None:
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.hidden_size = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = self.hidden_size // self.num_heads
        self.dropout = nn.Dropout(config.{drop}_dropout)
        self.norm = RMSNorm(self.hidden_size, eps=config.rms_norm_eps)
        self.proj_in = nn.Linear(self.hidden_size, {width}, bias=False)
        self.proj_out = nn.Linear({width}, self.hidden_size, bias=False)
        # scaled initialisation, as in the reference implementation
        nn.init.normal_(self.proj_in.weight, std=0.02 / math.sqrt(2 * (layer_idx + 1)))
        nn.init.zeros_(self.proj_out.weight)

    def _shape(self, tensor: torch.Tensor, seq_len: int, bsz: int) -> torch.Tensor:
        return tensor.view(bsz, seq_len, self.num_heads, -1).transpose(1, 2).contiguous()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        for module in (self.proj_in, self.proj_out):
            if getattr(module, "bias", None) is not None:
                module.bias.zero_()

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        past_key_value: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
        use_cache: bool = False,
    ) -> Tuple[torch.Tensor, Optional[Tuple[torch.Tensor, torch.Tensor]]]:
        bsz, seq_len, _ = hidden_states.size()
        residual = hidden_states
        hidden_states = self.norm(hidden_states)
        hidden_states = self.proj_in(hidden_states)
        if attention_mask is not None and attention_mask.dim() != 4:
            raise ValueError(f"attention_mask must be 4-D, got {{attention_mask.dim()}}-D")
        hidden_states = F.{act}(hidden_states) * {scale}
        hidden_states = self.dropout(hidden_states)
        hidden_states = self.proj_out(hidden_states)
        present = (hidden_states, residual) if use_cache else None
        return residual + hidden_states, present
'''

LAYERS = [
    ("StoaAttention", "Multi-headed attention with rotary embeddings and grouped key/value heads.", "attention", "4 * self.hidden_size", "silu", "1.0"),
    ("StoaMLP", "The gated feed-forward block (SwiGLU).", "hidden", "config.intermediate_size", "gelu", "0.5"),
    ("StoaCrossAttention", "Attention over an encoder's states, for the seq2seq variant.", "attention", "2 * self.hidden_size", "silu", "0.7071"),
    ("StoaAdapter", "A low-rank adapter inserted after each block when fine-tuning.", "hidden", "64", "relu", "2.0"),
    ("StoaRouter", "The token router of the mixture-of-experts variant (top-2 gating).", "hidden", "config.num_experts", "softplus", "1.0"),
]

PY_HEAD = '''# coding=utf-8
# Copyright 2026 The Stoa benchmark authors. Licensed under the Apache License, Version 2.0.
"""PyTorch StoaLM model: a decoder-only transformer used by the web-page benchmark."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .configuration_stoa import StoaConfig

_CHECKPOINT_FOR_DOC = "bench/webbench-10k"
_CONFIG_FOR_DOC = "StoaConfig"
MAX_POSITIONS = 4096  # the context length used in training


@dataclass
class StoaOutput:
    """Outputs of the model: logits, and the cache when `use_cache=True`."""

    logits: torch.Tensor
    past_key_values: Optional[List[Tuple[torch.Tensor, torch.Tensor]]] = None
    hidden_states: Optional[Tuple[torch.Tensor, ...]] = None


class RMSNorm(nn.Module):
    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(self.weight.dtype)
'''

PY_TAIL = '''

def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """Rotates half the hidden dims of the input."""
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def build_model(config: StoaConfig) -> nn.ModuleList:
    """Stacks the layers; every third one gets an adapter."""
    layers = []
    for idx in range(config.num_hidden_layers):
        layers.append(StoaAttention(config, idx))
        layers.append(StoaMLP(config, idx))
        if idx % 3 == 2:
            layers.append(StoaAdapter(config, idx))
    return nn.ModuleList(layers)
'''


def python_file(version: int) -> str:
    body = PY_HEAD + "".join(
        LAYER.format(name=n, doc=d, cfg="StoaConfig", drop=dr, width=w, act=a, scale=s) for n, d, dr, w, a, s in LAYERS
    ) + PY_TAIL
    if version > 1:  # the third commit's change: a few lines in two places
        body = body.replace("MAX_POSITIONS = 4096  # the context length used in training",
                            "MAX_POSITIONS = 8192  # extended with position interpolation\nROPE_SCALING = 2.0")
        body = body.replace("        if idx % 3 == 2:\n", "        if config.use_adapters and idx % 3 == 2:\n")
    return body


def config_json(version: int) -> str:
    cfg = {
        "architectures": ["StoaForCausalLM"], "auto_map": {"AutoModelForCausalLM": "modeling_stoa.StoaForCausalLM"},
        "model_type": "llama", "hidden_size": 2048, "intermediate_size": 5632, "num_attention_heads": 32,
        "num_key_value_heads": 4, "num_hidden_layers": 24, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
        "max_position_embeddings": 4096 if version == 1 else 8192, "torch_dtype": "bfloat16", "vocab_size": 32000,
        "transformers_version": "4.44.0", "use_cache": True,
    }
    if version > 1:
        cfg["rope_scaling"] = {"type": "linear", "factor": 2.0}
    return json.dumps(cfg, indent=2) + "\n"


def safetensors_bytes() -> bytes:
    """A valid safetensors file: a few F16 tensors of random bytes (~4 MB)."""
    tensors, offset = {}, 0
    for name, shape in [("model.embed_tokens.weight", [1000, 1024]), ("model.layers.0.self_attn.q_proj.weight", [512, 1024]),
                        ("model.layers.0.mlp.up_proj.weight", [256, 1024]), ("model.norm.weight", [1024]),
                        ("lm_head.weight", [200, 1024])]:
        n = 2
        for d in shape:
            n *= d
        tensors[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    header = json.dumps({"__metadata__": {"format": "pt"}, **tensors}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + RNG.randbytes(offset)


def sample_text(i: int) -> str:
    words = ["model", "token", "layer", "weights", "hub", "stoa", "train", "eval", "batch", "shard", "the", "a", "of"]
    return " ".join(RNG.choice(words) for _ in range(RNG.randint(10, 60)))


def write(path: str, data: str | bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def generate_tree(w: str, total: int, folder_files: int, big_folder: int) -> dict:
    root_files = {
        "README.md": CARD,
        "config.json": config_json(1),
        "generation_config.json": json.dumps({"bos_token_id": 1, "eos_token_id": 2, "max_new_tokens": 256}, indent=2) + "\n",
        "tokenizer_config.json": json.dumps({"model_max_length": 4096, "tokenizer_class": "LlamaTokenizer",
                                             "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, indent=2) + "\n",
        "special_tokens_map.json": json.dumps({"bos_token": "<s>", "eos_token": "</s>"}, indent=2) + "\n",
        "modeling_stoa.py": python_file(1),
        "model.safetensors": safetensors_bytes(),
        "tokenizer.model": RNG.randbytes(512 * 1024),
        "onnx/model.onnx": RNG.randbytes(1024 * 1024),
    }
    for rel, data in root_files.items():
        write(os.path.join(w, rel), data)
    count = len(root_files) + 1  # + .gitattributes (written by git lfs track / the server's initial commit)
    for i in range(big_folder):
        write(os.path.join(w, "samples", f"sample_{i:05d}.json"),
              json.dumps({"id": i, "prompt": sample_text(i), "label": RNG.randint(0, 4)}) + "\n")
    count += big_folder
    folders, part = {}, 0
    while count < total:
        n = min(folder_files, total - count)
        name = f"part_{part:02d}"
        for k in range(n):
            ext = "jsonl" if k % 4 else "txt"
            write(os.path.join(w, name, f"chunk_{k:04d}.{ext}"), sample_text(k) + "\n")
        folders[name] = n
        count += n
        part += 1
    return {"folders": folders, "python_lines": python_file(1).count("\n")}


# ---- main -------------------------------------------------------------------------------------
def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--ns", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--files", type=int, default=10000)
    p.add_argument("--folder-files", type=int, default=100)
    p.add_argument("--big-folder", type=int, default=1000)
    p.add_argument("--other-repos", type=int, default=200)
    p.add_argument("--comments", type=int, default=8)
    a = p.parse_args()
    u = urllib.parse.urlsplit(a.url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to target a non-loopback host", file=sys.stderr)
        return 2

    import huggingface_hub as hf

    api = hf.HfApi(endpoint=a.url, token=a.token)
    repo = f"{a.ns}/{a.repo}"
    out: dict = {"repo": repo, "phases": {}}

    # 1. the repo and its tree, in one push
    t = time.perf_counter()
    api.create_repo(repo, repo_type="model")
    w = os.path.join(a.work, "repo")
    cred = os.path.join(a.work, "git-credentials")
    with open(cred, "w") as f:
        f.write(f"http://{a.ns}:{a.token}@{u.hostname}:{u.port}\n")
    git("clone", "-q", f"{a.url}/{repo}", w, cwd=a.work)
    git("config", "credential.helper", f"store --file={cred}", cwd=w)
    # no background `git gc --auto` after the commits: it repacks the 10,000 loose objects while
    # git-lfs's pre-push scan reads them ("missing object")
    git("config", "gc.auto", "0", cwd=w)
    git("config", "maintenance.auto", "false", cwd=w)
    git("lfs", "install", "--local", cwd=w)
    git("lfs", "track", "*.safetensors", "*.model", "*.onnx", cwd=w)
    layout = generate_tree(w, a.files, a.folder_files, a.big_folder)
    git("add", "-A", cwd=w)
    git("commit", "-q", "-m", f"Add weights, tokenizer, code and {a.files} files of data", cwd=w)
    write(os.path.join(w, "README.md"), CARD.replace("## Model details", "## Model details\n\nUpdated: the evaluation table now lists five benchmarks.\n"))
    git("commit", "-q", "-am", "Update the model card", cwd=w)
    write(os.path.join(w, "modeling_stoa.py"), python_file(2))
    write(os.path.join(w, "config.json"), config_json(2))
    git("commit", "-q", "-am", "Extend the context to 8k tokens (linear RoPE scaling); adapters optional", cwd=w)
    out["phases"]["generate_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    git("push", "-q", "origin", "main", cwd=w)
    out["phases"]["push_s"] = round(time.perf_counter() - t, 2)
    files = git("ls-files", cwd=w).splitlines()
    out["files"] = len(files)
    out["lfs_files"] = git("lfs", "ls-files", "-n", cwd=w).splitlines()
    out["head"] = git("rev-parse", "HEAD", cwd=w)
    out["commits"] = int(git("rev-list", "--count", "HEAD", cwd=w))
    out["folders"] = len(layout["folders"]) + 2  # + samples/, onnx/
    out["root_files"] = sum(1 for f in files if "/" not in f)
    first = next(iter(layout["folders"]))
    out["folder"] = first
    out["folder_entries"] = layout["folders"][first]
    out["big_folder"] = "samples"
    out["big_folder_entries"] = a.big_folder
    out["python_file"] = "modeling_stoa.py"
    out["python_lines"] = python_file(2).count("\n")
    out["readme_bytes"] = os.path.getsize(os.path.join(w, "README.md"))
    log(f"pushed {out['files']} files, {out['commits']} commits in {out['phases']['push_s']} s")

    # 2. a discussion with comments, then a pull request
    t = time.perf_counter()
    d = api.create_discussion(repo, title="Loss spikes when fine-tuning with bf16",
                              description="Fine-tuning with the settings of the card, the loss spikes at step ~1,200.\n\n"
                                          "```\nstep 1200 | loss 2.31 -> 7.94\n```\n\nAny idea?")
    for i in range(a.comments):
        api.comment_discussion(repo, d.num, comment=(
            f"Comment {i + 1}: try a lower learning rate (`1e-4`) and a longer warm-up.\n\n"
            "| lr | warm-up | spike? |\n| --- | --- | --- |\n| 3e-4 | 2k | yes |\n| 1e-4 | 4k | no |\n\n"
            "```python\ntrainer = Trainer(model, args=TrainingArguments(learning_rate=1e-4, warmup_steps=4000))\n```\n"))
    pr = api.create_commit(repo, operations=[hf.CommitOperationAdd(path_in_repo="generation_config.json",
                           path_or_fileobj=b'{\n  "bos_token_id": 1,\n  "eos_token_id": 2,\n  "max_new_tokens": 512\n}\n')],
                           commit_message="Longer default generations", create_pr=True,
                           commit_description="Raises `max_new_tokens` to 512.")
    pr_num = int(str(pr.pr_num)) if pr.pr_num is not None else None
    if pr_num is not None:
        api.comment_discussion(repo, pr_num, comment="Looks good to me.")
    out["discussion"] = d.num
    out["pr"] = pr_num
    out["phases"]["discussions_s"] = round(time.perf_counter() - t, 2)

    # 3. other repos, for the home page, the search and the user page
    t = time.perf_counter()
    families = ["llama", "mistral", "bert", "t5", "whisper", "clip", "vit", "gpt2", "phi", "qwen"]
    sizes = ["small", "base", "large", "7b", "13b"]
    names = [f"{families[i % len(families)]}-{sizes[(i // len(families)) % len(sizes)]}-ft{i:03d}" for i in range(a.other_repos)]

    def make(i_name):
        i, name = i_name
        rid = f"{a.ns}/{name}"
        api.create_repo(rid, repo_type="model")
        if i % 10 == 0:
            card = (f"---\nlicense: mit\nlibrary_name: transformers\npipeline_tag: text-classification\ntags:\n- {name.split('-')[0]}\n---\n"
                    f"# {name}\n\nA fine-tuned {name.split('-')[0]}.\n")
            api.upload_file(repo_id=rid, path_in_repo="README.md", path_or_fileobj=card.encode(), commit_message="Add card")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(make, enumerate(names)))
    out["other_repos"] = len(names)
    out["search"] = families[0]
    out["search_matches"] = sum(1 for n in names if families[0] in n)
    out["phases"]["other_repos_s"] = round(time.perf_counter() - t, 2)
    out["elapsed_s"] = round(time.monotonic() - T0, 2)
    log(f"done: discussion #{out['discussion']}, PR #{out['pr']}, {len(names)} other repos")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
