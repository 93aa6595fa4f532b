"""Lets torch.optim run in qlsweep's venv, whose torch wheel is installed without its dependency
tree (scripts/python-requirements.txt): an optimizer's first call imports torch._dynamo only to
wrap itself in torch._dynamo.disable, and torch._dynamo needs sympy, which the venv lacks. Eager
optimizers never compile anything, so a torch._dynamo whose disable returns the function itself
changes nothing they compute. Installed only when the real one cannot be imported."""
import sys
import types


def install_dynamo_shim():
    try:
        import torch._dynamo  # noqa: F401  (a full torch install: nothing to do)
        return
    except ImportError:
        for name in [n for n in sys.modules if n.startswith("torch._dynamo")]:
            del sys.modules[name]
    shim = types.ModuleType("torch._dynamo")
    shim.disable = lambda fn=None, recursive=True, wrapping=True, reason=None: fn
    shim.graph_break = lambda: None
    sys.modules["torch._dynamo"] = shim
    import torch

    torch._dynamo = shim
