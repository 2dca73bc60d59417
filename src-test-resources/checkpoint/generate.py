"""Regenerates the torch fixtures of this folder (run with the torch named in README.md).

The .pth files are what torch.save itself writes, so the Java reader is tested against the real
format (views with offsets and strides, shared storages, every dtype, protocol 4, nn.Parameter,
a module's state_dict with _metadata); torch_expected.safetensors holds the same tensors made
contiguous, written by the safetensors library, as the reference values.
"""
import collections
import sys

import torch
from safetensors.torch import save_file

out = sys.argv[1] if len(sys.argv) > 1 else "."
g = torch.Generator().manual_seed(0)
r = lambda *s: torch.randn(*s, generator=g)
t = torch.tensor
B = r(4, 6)
sd = collections.OrderedDict(
    f32=r(3, 5), f16=r(2, 3).half(), bf16=r(2, 3).bfloat16(), f64=r(3).double(),
    i64=torch.arange(10), i32=t([-1, 2**31 - 1], dtype=torch.int32), i16=t([-300, 300], dtype=torch.int16),
    i8=t([-128, 127], dtype=torch.int8), u8=t([0, 255], dtype=torch.uint8), bool=t([True, False, True]),
    base=B, transposed=B.t(), slice=B[1:3], column=B[:, 2], expanded=torch.arange(3.0).expand(2, 3),
    tied=B, scalar=t(3.5), empty=torch.zeros(0, 4), param=torch.nn.Parameter(r(2)),
    permuted=r(2, 3, 4).permute(2, 0, 1))
torch.save(sd, f"{out}/torch_mixed.pth")
torch.save({"model": sd, "epoch": 3}, f"{out}/torch_mixed_p4.pth", pickle_protocol=4)
torch.manual_seed(0)
M = torch.nn.TransformerEncoderLayer(8, 2, 16).state_dict()
torch.save(M, f"{out}/torch_module.pth")
E = {k: v.detach().contiguous().clone() for k, v in sd.items()}
E.update({"module." + k: v.clone() for k, v in M.items()})
save_file(E, f"{out}/torch_expected.safetensors")
# torch113_legacy.pth came from torch 1.13 (Debian's python3-torch):
#   torch.save({'w': torch.arange(4.)}, 'torch113_legacy.pth', _use_new_zipfile_serialization=False)
