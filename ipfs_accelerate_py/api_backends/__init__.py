"""api_backends — models behind HTTP inference APIs (the seed imports
``api_models_registry`` from here beside :class:`~ipfs_accelerate_py.ModelRegistry`).

Local models are in the unified registry (``ModelRegistry``, in the
benchmark database); a model behind an API is the server's to name, so
:mod:`.api_models_registry` asks the server instead of keeping a list.
"""
from . import api_models_registry

__all__ = ["api_models_registry"]
