# PyTorch anchor for `blip bench`'s encode-text, encode-image and itm at batch 1: the official models'
# arithmetic (BLIP's ViT and BERT in its text and image-grounded modes) in plain torch.nn.functional
# on the same .pth, without transformers' and timm's module stacks (which only add Python overhead):
# a strict anchor. Not part of blip4j; README "Against PyTorch" says how it is run.
#
#   python3 torch_anchor.py ITM.pth [THREADS] [TEXT_TOKENS]
import sys, time, math, statistics
import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
sd = torch.load(sys.argv[1], map_location="cpu")
sd = sd.get("model", sd)
T = "text_encoder."
V = "visual_encoder."
H, HEADS = 768, 12


def lin(x, p):
    return F.linear(x, sd[p + ".weight"], sd.get(p + ".bias"))


def ln(x, p, eps):
    return F.layer_norm(x, (x.shape[-1],), sd[p + ".weight"], sd[p + ".bias"], eps)


def heads(x):
    b, n, _ = x.shape
    return x.view(b, n, HEADS, -1).transpose(1, 2)


def attend(q, k, v, bias=None):
    s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if bias is not None:
        s = s + bias
    o = torch.matmul(s.softmax(-1), v)
    b, h, n, d = o.shape
    return o.transpose(1, 2).reshape(b, n, h * d)


def bert(ids, mask, image=None):
    n = ids.shape[1]
    x = sd[T + "embeddings.word_embeddings.weight"][ids] + sd[T + "embeddings.position_embeddings.weight"][:n]
    x = ln(x, T + "embeddings.LayerNorm", 1e-12)
    bias = (1.0 - mask[:, None, None, :].float()) * -10000.0
    for i in range(12):
        p = T + "encoder.layer.%d." % i
        a = attend(heads(lin(x, p + "attention.self.query")), heads(lin(x, p + "attention.self.key")),
                   heads(lin(x, p + "attention.self.value")), bias)
        x = ln(lin(a, p + "attention.output.dense") + x, p + "attention.output.LayerNorm", 1e-12)
        if image is not None:
            a = attend(heads(lin(x, p + "crossattention.self.query")), heads(lin(image, p + "crossattention.self.key")),
                       heads(lin(image, p + "crossattention.self.value")))
            x = ln(lin(a, p + "crossattention.output.dense") + x, p + "crossattention.output.LayerNorm", 1e-12)
        y = lin(F.gelu(lin(x, p + "intermediate.dense")), p + "output.dense")
        x = ln(y + x, p + "output.LayerNorm", 1e-12)
    return x


def vit(px):
    x = F.conv2d(px, sd[V + "patch_embed.proj.weight"], sd[V + "patch_embed.proj.bias"], stride=16)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([sd[V + "cls_token"].expand(x.shape[0], -1, -1), x], 1) + sd[V + "pos_embed"]
    for i in range(12):
        p = V + "blocks.%d." % i
        h = ln(x, p + "norm1", 1e-6)
        qkv = lin(h, p + "attn.qkv")
        q, k, v = qkv.split(H, -1)
        x = x + lin(attend(heads(q), heads(k), heads(v)), p + "attn.proj")
        x = x + lin(F.gelu(lin(ln(x, p + "norm2", 1e-6), p + "mlp.fc1")), p + "mlp.fc2")
    return ln(x, V + "norm", 1e-6)


def timed(name, f, iters):
    with torch.no_grad():
        f()
        f()
        ts = []
        for _ in range(iters):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
    print("%-12s median %.2f ms  min %.2f ms  (%d runs, torch %s, %d threads)" % (
        name, 1e3 * statistics.median(ts), 1e3 * min(ts), iters, torch.__version__, torch.get_num_threads()))


tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 12
ids = torch.randint(1000, 20000, (1, tokens))
mask = torch.ones(1, tokens, dtype=torch.long)
ids35 = torch.randint(1000, 20000, (1, 35))
mask35 = torch.ones(1, 35, dtype=torch.long)
mask35[:, tokens:] = 0
px = torch.randn(1, 3, 384, 384)
timed("encode-text", lambda: F.normalize(lin(bert(ids, mask)[:, 0], "text_proj"), dim=-1), 30)
timed("encode-image", lambda: F.normalize(lin(vit(px)[:, 0], "vision_proj"), dim=-1), 5)
timed("itm", lambda: lin(bert(ids35, mask35, vit(px))[:, 0], "itm_head").softmax(-1), 5)
