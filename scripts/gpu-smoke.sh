#!/usr/bin/env bash
# GPU smoke run of the LLM experiment (issue 13). Not in CI: needs a CUDA GPU and the CUDA toolkit.
#
#   scripts/gpu-smoke.sh                 # uses cuda:0 (and cuda:1 for the agent when present)
#   OUT=/tmp/smoke DEVICE=cuda:0 scripts/gpu-smoke.sh
#
# Steps (each must pass; the script exits non-zero on the first failure):
#   1. cargo build --release --features cuda
#   2. the GPU checks of experiments/llm/tests/gpu_smoke.rs: NF4 dequantisation bit-identical on
#      GPU and CPU, the NF4 small model's logits on GPU vs CPU, a DistilBERT batch of 4 on the GPU
#   3. goodhart llm make-tiny
#   4. goodhart llm plan, then a short goodhart llm train on CUDA with the NF4 base (8 chats, one
#      PPO update); tokens/s from the run's episodes and wall time
#   5. goodhart bench --only llm (if this build has that benchmark; skipped with a message if not)
# and prints the peak GPU memory nvidia-smi saw while it ran.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/goodhart-gpu-smoke}
DEVICE=${DEVICE:-cuda:0}
mkdir -p "$OUT"

command -v nvidia-smi >/dev/null || { echo "gpu-smoke: nvidia-smi not found: this needs a CUDA GPU" >&2; exit 1; }
n_gpus=$(nvidia-smi -L | grep -c '^GPU' || true)
[ "$n_gpus" -ge 1 ] || { echo "gpu-smoke: nvidia-smi lists no GPU" >&2; exit 1; }
AGENT=$DEVICE
if [ "$n_gpus" -ge 2 ] && [ "$DEVICE" = "cuda:0" ]; then AGENT=cuda:1; fi
echo "gpu-smoke: base on $DEVICE, agent on $AGENT ($n_gpus GPU(s)); output in $OUT"

# Peak memory over the whole run, sampled every 0.5 s.
peak_file="$OUT/gpu-memory-mib.txt"
: > "$peak_file"
( while true; do nvidia-smi --query-gpu=index,memory.used --format=csv,noheader,nounits >> "$peak_file" 2>/dev/null || true; sleep 0.5; done ) &
monitor=$!
trap 'kill $monitor 2>/dev/null || true' EXIT

echo "== build (release, cuda)"
cargo build --release --locked --features cuda
BIN=target/release/goodhart

echo "== GPU checks (NF4 on GPU vs CPU, DistilBERT batch of 4)"
GOODHART_GPU_DEVICE=$DEVICE cargo test --release --locked -p goodhart-llm --features cuda \
  --test gpu_smoke -- --ignored --nocapture

echo "== make-tiny"
"$BIN" llm make-tiny --out "$OUT/models"

cat > "$OUT/smoke.toml" <<TOML
base = "$OUT/models/mixtral"
reward = "$OUT/models/distilbert"
dtype = "bf16"
base_quantization = "nf4"
base_device = "$DEVICE"
agent_device = "$AGENT"
eval_rounds = 1

[chat]
n_envs = 8
chat_tokens = 128
student_temperature = 0.05
base_temperature = 1.0
agent_name = "Teacher:"
other_name = "Student:"
empty_reply_max_tokens = 4
prompt = """The following contains private conversations, collected for training purposes. Do not distribute.

Student: For our science reports...

Teacher: Yeah?

Student: I don't understand what is supposed to go in the discussion section.

Teacher: Do you"""

[ppo]
budget_nats = 10.0
budget_ramp_steps = 0
total_steps = 400
update_steps = 300
epochs = 1
minibatch = 128
clip = 0.2
entropy_coef = 0.0001
kl_match_coef = 1.0
max_grad_norm = 1.0
actor_lr = 0.003
critic_lr = 0.003
adam_eps = 0.00001
seed = 1
transcript_every = 1
TOML

echo "== plan"
"$BIN" llm plan --config "$OUT/smoke.toml"

echo "== train (NF4 base on $DEVICE, agent on $AGENT)"
rm -rf "$OUT/run"
start=$(date +%s.%N)
"$BIN" llm train --config "$OUT/smoke.toml" --out "$OUT/run" --device "$DEVICE"
end=$(date +%s.%N)
episodes=$(( $(wc -l < "$OUT/run/episodes.csv") - 1 ))
updates=$(( $(wc -l < "$OUT/run/metrics.csv") - 1 ))
[ "$updates" -ge 1 ] || { echo "gpu-smoke: no PPO update ran" >&2; exit 1; }
awk -v e="$episodes" -v t=128 -v s="$start" -v f="$end" -v u="$updates" 'BEGIN {
  w = f - s; printf "train: %d episodes x %d tokens in %.1f s = %.0f transcript tokens/s (%d PPO update(s); includes load and NF4 quantisation)\n", e, t, w, e * t / w, u }'

echo "== bench --only llm"
set +e
bench_out=$("$BIN" bench --only llm --no-baseline 2>&1)
bench_rc=$?
set -e
echo "$bench_out"
if [ $bench_rc -ne 0 ]; then
  if echo "$bench_out" | grep -qiE "unknown|invalid value|not (a|an) |no benchmark"; then
    echo "gpu-smoke: this build has no 'bench --only llm' (skipped)"
  else
    echo "gpu-smoke: bench --only llm failed (exit $bench_rc)" >&2; exit 1
  fi
fi

kill $monitor 2>/dev/null || true
awk -F', *' '{ if ($2 > peak[$1]) peak[$1] = $2 } END { for (g in peak) printf "peak GPU memory: GPU %s %d MiB\n", g, peak[g] }' "$peak_file"
echo "gpu-smoke: all steps passed"
