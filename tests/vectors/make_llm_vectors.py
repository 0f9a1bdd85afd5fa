#!/usr/bin/env python3
"""Conformance vectors for the LLM stack: tiny random-initialised checkpoints built with Hugging Face
transformers' own classes (`MixtralForCausalLM`, `DistilBertForSequenceClassification`) and
`save_pretrained`, and the reference outputs transformers computes on them.

Writes tests/vectors/llm/<name>/ (config.json, safetensors, tokenizer files) and
tests/vectors/llm/reference.json. The Rust tests (experiments/llm/tests/conformance.rs) load the
checkpoints with goodhart-llm and compare, with the tolerance stated per quantity in the JSON.

Configurations (each tiny: vocab 384 or the WordPiece vocab, hidden 32, 2 layers):
  mixtral_gqa2_window_v5   GQA 4:2, sliding window 5 < sequence length, untied, theta 1e4,
                           4 experts top-2, f32, transformers-5 config layout (rope_parameters)
  mixtral_gqa4_tied_v4     GQA 4:1, explicit head_dim 16 (q width 64 != hidden 32), tied embeddings,
                           6 experts top-3, theta 1e6, f32, transformers-4 layout (top-level rope_theta)
  mixtral_mha_bf16_sharded MHA 4:4, 3 experts top-1, theta 5e5, bf16 weights, sharded with an index
  distilbert_uncased       id2label {0: NEGATIVE, 1: POSITIVE}, 16 positions, vocab.txt +
                           tokenizer_config.json only (lower-casing WordPiece, as the SST-2 checkpoint)
  distilbert_cased_bf16    id2label {0: POSITIVE, 1: NEGATIVE}, bf16 weights, cased WordPiece, tokenizer.json

Reference quantities (model run in float32, eager attention; bf16 checkpoints are loaded into float32,
as goodhart does on the CPU):
  mixtral: per-position logits, log-probs of the given next tokens, the last three hidden states,
  router logits of every layer, logits of incremental decoding with the KV cache (prefill + one token
  at a time), greedy continuations (`generate(do_sample=False)`), with the top-2 logit gap at each
  greedy step; token ids and decoded text (keeping / skipping special tokens) of the chat prompt, the
  empty string, byte-fallback and non-ASCII text.
  distilbert: classifier logits and softmax probabilities of a padded batch (truncation to
  max_position_embeddings), token ids and decoded text.

Regenerate (about 20 s on CPU):
    python3 -m venv /root/venvs/llm
    /root/venvs/llm/bin/pip install torch==2.15.0 transformers==5.23.0 safetensors==0.8.0 tokenizers==0.23.3 numpy==2.4.6
    /root/venvs/llm/bin/python tests/vectors/make_llm_vectors.py
(the script asserts the torch/transformers versions it was written for; other versions may give
other random weights.)
"""
import json
import os
import shutil
import sys

import numpy as np
import safetensors
import tokenizers
import torch
import transformers
from tokenizers import decoders, models, normalizers, processors, trainers
from transformers import (
    AutoTokenizer,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    MixtralConfig,
    MixtralForCausalLM,
    PreTrainedTokenizerFast,
)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llm")
SEED = 20261206

# The prompt of Cohen et al.'s ChatEnv (experiments/llm/src/corpus.rs, COHEN_PROMPT), verbatim.
CHAT_PROMPT = (
    "The following contains private conversations, collected for training purposes. Do not distribute.\n\n"
    "Student: For our science reports...\n\n"
    "Teacher: Yeah?\n\n"
    "Student: I don't understand what is supposed to go in the discussion section.\n\n"
    "Teacher: Do you"
)
TOKENIZER_TEXTS = {
    "chat_prompt": CHAT_PROMPT,
    "empty": "",
    "byte_fallback": "emoji \U0001F642 and \u65e5\u672c\u8a9e",
    "non_ascii": "Caf\u00e9 na\u00efve \u2014 \u00fcber \u00c5ngstr\u00f6m",
    "whitespace": "  two  spaces\tand a tab\n",
}

TOL = {
    "logits_f32": 1e-4,
    "log_probs": 1e-4,
    "hidden": 1e-4,
    "router_logits": 1e-5,
    "incremental_logits": 1e-4,
    "classifier_logits": 1e-5,
    "probs": 1e-6,
}


def fl(t):
    """Flat list of floats, 9 significant digits (f32 round-trips; the tolerances are far coarser)."""
    return [float(f"{x:.9g}") for x in np.asarray(t.detach().float().cpu()).ravel()]


def llama_style_tokenizer(corpus, vocab_size):
    """A SentencePiece-BPE tokenizer in the layout of Mistral's tokenizer.json: <unk>, <s>, </s>, the
    256 byte tokens <0x00>..<0xFF> (byte fallback), then BPE merges learnt on `corpus`."""
    trainer_tok = tokenizers.Tokenizer(models.BPE(unk_token="<unk>"))
    trainer_tok.normalizer = normalizers.Sequence(
        [normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]
    )
    n_merge_room = vocab_size - 3 - 256
    trainer = trainers.BpeTrainer(
        vocab_size=n_merge_room + 60, special_tokens=[], show_progress=False, min_frequency=2
    )
    trainer_tok.train_from_iterator(corpus, trainer)
    learnt = json.loads(trainer_tok.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    merges = []
    # single characters first, then merges in order, until the vocabulary is full
    pieces = sorted(learnt["vocab"].items(), key=lambda kv: kv[1])
    for piece, _ in pieces:
        if len(vocab) >= vocab_size:
            break
        if len(piece) == 1 and piece not in vocab:
            vocab[piece] = len(vocab)
    for m in learnt["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ")
        if len(vocab) >= vocab_size:
            break
        if a in vocab and b in vocab and a + b not in vocab:
            vocab[a + b] = len(vocab)
            merges.append((a, b))
    tok = tokenizers.Tokenizer(
        models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True)
    )
    tok.normalizer = normalizers.Sequence(
        [normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]
    )
    tok.decoder = decoders.Sequence(
        [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tok.add_special_tokens(["<unk>", "<s>", "</s>"])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B:1", special_tokens=[("<s>", 1)]
    )
    assert tok.get_vocab_size() == vocab_size, tok.get_vocab_size()
    return tok


def tokenizer_vectors(tok):
    out = {}
    for name, text in TOKENIZER_TEXTS.items():
        ids = tok(text)["input_ids"]
        out[name] = {
            "text": text,
            "ids": ids,
            "decoded_keep_special": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        }
    return out


def mixtral_case(name, cfg_kwargs, dtype, layout, shard, hf_tok):
    torch.manual_seed(SEED + len(name))
    cfg = MixtralConfig(
        vocab_size=384,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=256,
        bos_token_id=1,
        eos_token_id=2,
        attn_implementation="eager",
        initializer_range=0.2,
        **cfg_kwargs,
    )
    model = MixtralForCausalLM(cfg).eval()
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    kw = {"max_shard_size": "100KB"} if shard else {}
    model.to(dtype).save_pretrained(d, **kw)
    hf_tok.save_pretrained(d)
    for f in ["tokenizer_config.json", "special_tokens_map.json", "generation_config.json"]:
        p = os.path.join(d, f)
        if f != "tokenizer_config.json" and os.path.exists(p):
            os.remove(p)
    cpath = os.path.join(d, "config.json")
    c = json.load(open(cpath))
    if layout == "v4":
        # what transformers 4 writes: top-level rope_theta, torch_dtype, no rope_parameters
        rp = c.pop("rope_parameters")
        c["rope_theta"] = rp["rope_theta"]
        c["torch_dtype"] = c.pop("dtype")
        c["transformers_version"] = "4.36.0"
    else:
        assert "rope_parameters" in c and "rope_theta" not in c
    json.dump(c, open(cpath, "w"), indent=2, sort_keys=True)

    # the reference runs the saved checkpoint, loaded in float32
    ref = MixtralForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    g = torch.Generator().manual_seed(SEED)
    seq = 10
    ids = torch.randint(3, cfg.vocab_size, (2, seq), generator=g)
    ids[:, 0] = 1
    with torch.no_grad():
        out = ref(ids, output_hidden_states=True, output_router_logits=True)
        logits = out.logits.float()
        lp = torch.log_softmax(logits, -1)[:, :-1].gather(-1, ids[:, 1:, None])[..., 0]
        hidden = [out.hidden_states[-1], out.hidden_states[-2], out.hidden_states[-3]]
        router = [r.float() for r in out.router_logits]
        # incremental decoding: prefill 5 tokens, then one token at a time
        prefill = 5
        o = ref(ids[:, :prefill], use_cache=True)
        past = o.past_key_values
        inc = []
        for t in range(prefill, seq):
            o = ref(ids[:, t : t + 1], past_key_values=past, use_cache=True)
            past = o.past_key_values
            inc.append(o.logits)
        inc = torch.cat(inc, 1)
        # greedy continuation of the first row's first 6 tokens
        prompt = ids[:1, :6]
        gen = ref.generate(
            prompt, max_new_tokens=10, do_sample=False, pad_token_id=0, eos_token_id=None,
            attention_mask=torch.ones_like(prompt),
        )
        greedy = gen[0, prompt.shape[1]:].tolist()
        full = ref(gen).logits[0, prompt.shape[1] - 1 : -1]
        top2 = torch.topk(full, 2, -1).values
        gaps = (top2[:, 0] - top2[:, 1]).tolist()
        # what `goodhart llm score` prints: ids of a text (with <s>) and log p(ids[i+1] | ids[..=i])
        scored = []
        for text in [CHAT_PROMPT, "Teacher: Good morning.", ""]:
            tids = hf_tok(text, return_tensors="pt")["input_ids"]
            tlp = torch.log_softmax(ref(tids).logits.float(), -1)[0, :-1].gather(-1, tids[0, 1:, None])[:, 0]
            scored.append({"text": text, "ids": tids[0].tolist(), "logprobs": fl(tlp), "total": float(tlp.double().sum())})
    return {
        "kind": "mixtral",
        "score": scored,
        "dir": name,
        "layout": layout,
        "dtype": str(dtype).replace("torch.", ""),
        "sharded": shard,
        "config": {k: c.get(k) for k in [
            "num_attention_heads", "num_key_value_heads", "head_dim", "sliding_window",
            "tie_word_embeddings", "num_local_experts", "num_experts_per_tok", "rope_theta",
            "rope_parameters"]},
        "ids": ids.tolist(),
        "logits": fl(logits),
        "logits_shape": list(logits.shape),
        "next_token_log_probs": fl(lp),
        "hidden_last3": [fl(h) for h in hidden],
        "hidden_shape": list(hidden[0].shape),
        "router_logits": [fl(r) for r in router],
        "router_shape": list(router[0].shape),
        "prefill": prefill,
        # logits of positions prefill..seq, each computed from the KV cache and one new token
        "incremental_logits": fl(inc),
        "greedy_prompt": prompt[0].tolist(),
        "greedy": greedy,
        "greedy_top2_gap": gaps,
    }


WORDS = [
    "the", "a", "lesson", "was", "is", "good", "great", "bad", "awful", "not", "really", "fine",
    "teacher", "student", "report", "science", "do", "you", "yeah", "i", "understand", "what",
    "section", "discussion", "cafe", "naive", "uber", "cold", "warm", "love", "hate", "it",
]
PIECES = ["##s", "##ing", "##ed", "##ly", "##er", "##e", "##a", "##o", "##n", "##t"]


def wordpiece_vocab():
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    toks += list(".,!?'-:;\"()") + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    toks += [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    toks += ["\u65e5", "\u00e9", "\u00fc"]
    toks += WORDS + [w.capitalize() for w in WORDS[:12]] + PIECES
    seen, out = set(), []
    for t in toks:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


CLASSIFIER_TEXTS = [
    "The lesson was good.",
    "",
    "Really awful, I hate it!",
    "Caf\u00e9 na\u00efve \u00fcber \u65e5\u672c",
    # longer than 16 positions: truncated to max_position_embeddings
    "the teacher was really good and the student understood the discussion section of the science report",
]


def distilbert_case(name, id2label, dtype, lowercase, with_tokenizer_json):
    torch.manual_seed(SEED + 7 * len(name))
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    vocab = wordpiece_vocab()
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    # what the SST-2 checkpoint ships: vocab.txt and a two-key tokenizer_config.json
    json.dump({"do_lower_case": lowercase, "model_max_length": 512}, open(os.path.join(d, "tokenizer_config.json"), "w"))
    cfg = DistilBertConfig(
        vocab_size=len(vocab),
        dim=32,
        n_layers=2,
        n_heads=4,
        hidden_dim=64,
        max_position_embeddings=16,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        attn_implementation="eager",
        initializer_range=0.2,
    )
    model = DistilBertForSequenceClassification(cfg).eval()
    model.to(dtype).save_pretrained(d)
    c = json.load(open(os.path.join(d, "config.json")))
    # AutoTokenizer finds the tokenizer class through config.json's model_type, as for the SST-2 repo
    tok = AutoTokenizer.from_pretrained(d)
    if with_tokenizer_json:
        tok.save_pretrained(d)
        for f in ["special_tokens_map.json"]:
            p = os.path.join(d, f)
            if os.path.exists(p):
                os.remove(p)
    ref = DistilBertForSequenceClassification.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    enc = tok(CLASSIFIER_TEXTS, padding=True, truncation=True, max_length=cfg.max_position_embeddings, return_tensors="pt")
    with torch.no_grad():
        logits = ref(**enc).logits.float()
        probs = torch.softmax(logits, -1)
    return {
        "kind": "distilbert",
        "dir": name,
        "dtype": str(dtype).replace("torch.", ""),
        "lowercase": lowercase,
        "tokenizer_json": with_tokenizer_json,
        "id2label": c["id2label"],
        "texts": CLASSIFIER_TEXTS,
        "input_ids": enc["input_ids"].tolist(),
        "attention_mask": enc["attention_mask"].tolist(),
        "logits": [fl(r) for r in logits],
        "probs": [fl(r) for r in probs],
        "tokens": tokenizer_vectors(tok),
    }


def main():
    assert torch.__version__.startswith("2.15"), torch.__version__
    assert transformers.__version__ == "5.23.0", transformers.__version__
    assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    corpus = [CHAT_PROMPT] * 4 + [
        "Teacher: Good morning. Student: I don't understand the report.",
        "Student: What is the discussion section? Teacher: It says what the results mean.",
        "The lesson was really good, the students were happy and the teacher was kind.",
    ] * 20
    raw = llama_style_tokenizer(corpus, 384)
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=raw, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        clean_up_tokenization_spaces=False,
    )
    cases = [
        mixtral_case(
            "mixtral_gqa2_window_v5",
            dict(num_key_value_heads=2, sliding_window=5, tie_word_embeddings=False,
                 rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                 num_local_experts=4, num_experts_per_tok=2),
            torch.float32, "v5", False, hf_tok,
        ),
        mixtral_case(
            "mixtral_gqa4_tied_v4",
            dict(num_key_value_heads=1, head_dim=16, sliding_window=None, tie_word_embeddings=True,
                 rope_parameters={"rope_type": "default", "rope_theta": 1e6},
                 num_local_experts=6, num_experts_per_tok=3),
            torch.float32, "v4", False, hf_tok,
        ),
        mixtral_case(
            "mixtral_mha_bf16_sharded",
            dict(num_key_value_heads=4, sliding_window=None, tie_word_embeddings=False,
                 rope_parameters={"rope_type": "default", "rope_theta": 5e5},
                 num_local_experts=3, num_experts_per_tok=1),
            torch.bfloat16, "v5", True, hf_tok,
        ),
        distilbert_case("distilbert_uncased", {0: "NEGATIVE", 1: "POSITIVE"}, torch.float32, True, False),
        distilbert_case("distilbert_cased_bf16", {0: "POSITIVE", 1: "NEGATIVE"}, torch.bfloat16, False, True),
    ]
    ref = {
        "generator": "tests/vectors/make_llm_vectors.py",
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "safetensors": safetensors.__version__,
        },
        "seed": SEED,
        "tolerance": TOL,
        "mixtral_tokens": tokenizer_vectors(hf_tok),
        "cases": cases,
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    total = 0
    for root, _, files in os.walk(OUT):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print(f"wrote {OUT}: {total / 1024:.0f} KiB", file=sys.stderr)


if __name__ == "__main__":
    main()
