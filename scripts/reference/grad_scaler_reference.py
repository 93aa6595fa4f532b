#!/usr/bin/env python3
"""torch.amp.GradScaler on a fixed sequence of gradients: the reference of
tests/trainer/loss_scaler_parity_test.cpp (see docs/optimizers.md, "Loss scaling").

    grad_scaler_reference.py GROWTH_INTERVAL KINDS

KINDS is a string of one letter per step: f (finite gradients), i (one +inf), n (one NaN). Each
step backpropagates scaler.scale((p * c).sum()) for a parameter p of 4 float32 values and
c = [0.5, -1.25, 3.0, 2^-20] with the step's inf/NaN put in c[1], then unscale_, clipping to norm
1 (on the unscaled gradients), scaler.step(SGD lr=1) and scaler.update(). Prints one JSON object:
the GradScaler defaults, and per step the scale the loss was multiplied by, whether the step was
skipped, the unscaled gradient and the scale after update.
"""
import json
import math
import sys

import torch

from torch_optim_shim import install_dynamo_shim


def main(growth_interval, kinds):
    defaults = torch.amp.GradScaler("cpu")
    out = {"defaults": {"init_scale": defaults.get_scale(),
                        "growth_factor": defaults.get_growth_factor(),
                        "backoff_factor": defaults.get_backoff_factor(),
                        "growth_interval": defaults.get_growth_interval()},
           "steps": []}
    scaler = torch.amp.GradScaler("cpu", growth_interval=growth_interval)
    p = torch.nn.Parameter(torch.ones(4))
    opt = torch.optim.SGD([p], lr=1.0)
    for kind in kinds:
        c = torch.tensor([0.5, -1.25, 3.0, 2.0 ** -20])
        if kind == "i":
            c[1] = math.inf
        elif kind == "n":
            c[1] = math.nan
        used = scaler.get_scale()
        opt.zero_grad(set_to_none=True)
        scaler.scale((p * c).sum()).backward()
        scaler.unscale_(opt)
        grad = [x if math.isfinite(x) else str(x) for x in p.grad.tolist()]
        torch.nn.utils.clip_grad_norm_([p], 1.0)
        before = p.detach().clone()
        scaler.step(opt)
        scaler.update()
        out["steps"].append({"scale": used, "skipped": bool(torch.equal(before, p.detach())),
                             "grad": grad, "scale_after": scaler.get_scale()})
    print(json.dumps(out))


if __name__ == "__main__":
    install_dynamo_shim()
    main(int(sys.argv[1]), sys.argv[2])
