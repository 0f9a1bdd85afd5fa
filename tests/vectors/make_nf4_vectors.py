#!/usr/bin/env python3
"""Reference vectors for NF4 quantisation with double quantisation, from bitsandbytes itself.

bitsandbytes 0.50.2 on the CPU (torch 2.15.0): `bitsandbytes.functional.quantize_4bit(A,
blocksize=64, compress_statistics=True, quant_type="nf4")` -- the call transformers makes for
`BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True)`,
which Cohen et al. 2024 used for the Mixtral base -- and `dequantize_4bit` back to float32 and
bfloat16. No transcription: every number below is what the library returned. On the CPU,
bitsandbytes quantises 4-bit codes with its default (pure torch) kernel (nearest code by argmin,
first index on ties) and the 8-bit absmax codes with its C++ CPU kernel
(`cquantize_blockwise_cpu_fp32`, the input being float32).

Cases (inputs drawn from numpy's PCG64 with the seed below, stored bit-exactly):
  * `bf16_80x256`: normal weights in bfloat16, 320 blocks of 64, i.e. one full and one partial
    block of 256 for the absmax quantisation;
  * `bf16_7x37`: 259 elements (odd; the last 4-bit block is partial; the packing pads one nibble);
  * `f32_48x64`: float32, Student-t (3 dof) values, one all-zero block and one outlier.

Per case: `shape`, `dtype`, `input` (hex of the little-endian bytes in that dtype), `absmax_raw`
(float32 absmax per 64-block without double quantisation, u32 bit patterns), `packed` (hex of the
uint8 codes, two per byte, high nibble first), `absmax_codes` (hex, uint8 per 64-block), `absmax2`
(float32 per 256-block of absmax, u32 bits), `offset` (u32 bits of the float32 mean of the raw
absmax), `dequant_f32` (hex of float32 little-endian bytes), `dequant_bf16` (hex of bfloat16 bytes).
Top level: `nf4_code` and `dynamic_map` (u32 bits), versions.

Regenerate (a few seconds once installed; torch pulls CUDA wheels, ~5 GB):
    python3 -m venv /root/venvs/bnb
    /root/venvs/bnb/bin/pip install bitsandbytes==0.50.2 torch==2.15.0 numpy==2.4.6
    /root/venvs/bnb/bin/python tests/vectors/make_nf4_vectors.py > tests/vectors/nf4_reference.json
"""
import json
import struct
import sys

import bitsandbytes
import bitsandbytes.functional as F
import numpy as np
import torch

SEED = 20241008


def u32(x):
    return struct.unpack("<I", struct.pack("<f", float(x)))[0]


def hexbytes(t):
    return t.contiguous().view(torch.uint8).numpy().tobytes().hex()


def case(name, a):
    packed, st = F.quantize_4bit(a, blocksize=64, compress_statistics=True, quant_type="nf4")
    _, st_raw = F.quantize_4bit(a, blocksize=64, compress_statistics=False, quant_type="nf4")
    assert st.blocksize == 64 and st.state2.blocksize == 256 and st.quant_type == "nf4"
    st.dtype = torch.float32
    out_f32 = F.dequantize_4bit(packed, st, quant_type="nf4")
    assert out_f32.dtype == torch.float32
    # dequantised straight to bfloat16 as a bf16 compute dtype would (bitsandbytes' CPU bf16 kernel)
    st.dtype = torch.bfloat16
    out_bf16 = F.dequantize_4bit(packed, st, quant_type="nf4")
    assert out_bf16.dtype == torch.bfloat16
    return {
        "name": name,
        "shape": list(a.shape),
        "dtype": {torch.bfloat16: "bf16", torch.float32: "f32"}[a.dtype],
        "input": hexbytes(a),
        "absmax_raw": [u32(x) for x in st_raw.absmax.tolist()],
        "packed": hexbytes(packed.reshape(-1)),
        "absmax_codes": hexbytes(st.absmax.reshape(-1)),
        "absmax2": [u32(x) for x in st.state2.absmax.tolist()],
        "offset": u32(st.offset.item()),
        "dequant_f32": hexbytes(out_f32.reshape(-1)),
        "dequant_bf16": hexbytes(out_bf16.reshape(-1)),
    }


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    a = torch.from_numpy(rng.normal(0.0, 0.02, size=(80, 256)).astype(np.float32)).to(torch.bfloat16)
    cases.append(case("bf16_80x256", a))
    a = torch.from_numpy(rng.normal(0.0, 1.0, size=(7, 37)).astype(np.float32)).to(torch.bfloat16)
    cases.append(case("bf16_7x37", a))
    t = rng.standard_t(3, size=(48, 64)).astype(np.float32)
    t[5, :] = 0.0
    t[11, 7] = 80.0
    cases.append(case("f32_48x64", torch.from_numpy(t)))
    out = {
        "generator": "tests/vectors/make_nf4_vectors.py",
        "seed": SEED,
        "versions": {
            "bitsandbytes": bitsandbytes.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "nf4_code": [u32(x) for x in F.get_4bit_type("nf4", device="cpu").tolist()],
        "dynamic_map": [u32(x) for x in F.create_dynamic_map().tolist()],
        "cases": cases,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
