"""optimizer.py — the seed's ModelOptimizer (its "Model Acceleration API").

The one optimisation the core implements is post-training quantisation
(``ia_quantize_model``), so "quantization" is the one technique here; it
runs :class:`~ipfs_accelerate_py.quantization.QuantizationEngine` (int8
unless ``quantization_config`` says otherwise). The seed's other techniques
("pruning", "knowledge_distillation", ...) are refused with an error naming
what is supported, never skipped silently.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from .hardware import HardwareProfile
from .model import Model
from .quantization import CalibrationDataset, QuantizationEngine

__all__ = ["ModelOptimizer", "SUPPORTED_TECHNIQUES", "OPTIMIZATION_GOALS"]

#: Techniques :meth:`ModelOptimizer.optimize` can apply.
SUPPORTED_TECHNIQUES = ("quantization",)

#: Accepted ``optimization_goal`` values. They are recorded in the result;
#: none changes the choice (int8 — on this core's CPU kernels both the
#: fastest and the smallest width that keeps STS-B within 0.2 %).
OPTIMIZATION_GOALS = ("latency", "throughput", "memory", "accuracy")

_CONFIG_KEYS = ("optimization_goal", "constraints", "techniques", "quantization_config")
_CONSTRAINTS = ("max_memory_usage",)


class ModelOptimizer:
    """Applies optimisation techniques to a model (the seed's ModelOptimizer).

    Args:
        worker: optional :class:`~ipfs_accelerate_py.worker.Worker`. When
            given, the optimised model is added to it
            (``worker.init_worker(models=[path])``), so
            ``worker.endpoint_handler[result["path"]][device]`` embeds with it.
    """

    def __init__(self, worker: Any = None) -> None:
        self.worker = worker
        self.engine = QuantizationEngine(worker=worker)

    def optimize(
        self,
        model_name: str,
        hardware_profile: Optional[HardwareProfile] = None,
        optimization_config: Optional[Mapping[str, Any]] = None,
        techniques: Optional[Sequence[str]] = None,
        quantization_config: Optional[Mapping[str, Any]] = None,
        calibration_dataset: Optional[Union[CalibrationDataset, Sequence[str]]] = None,
        output_dir: Optional[Union[str, Path]] = None,
    ) -> Dict[str, Any]:
        """Optimises ``model_name`` and returns what was done.

        Args:
            hardware_profile: where the result should run; must be
                available (see :meth:`QuantizationEngine.quantize`).
            optimization_config: the seed's dict: ``techniques``,
                ``optimization_goal`` (one of :data:`OPTIMIZATION_GOALS`,
                recorded only), ``constraints`` (``max_memory_usage``: a
                size such as "4GB" — the core refuses to open the result if
                its weights are larger, and that error is raised here), and
                ``quantization_config``. Other keys raise ValueError.
            techniques: overrides ``optimization_config["techniques"]``;
                default ["quantization"]. Anything but "quantization"
                raises NotImplementedError naming the supported ones.
            quantization_config / calibration_dataset / output_dir: passed
                to :meth:`QuantizationEngine.quantize` (default
                ``{"bits": 8}``).

        Returns:
            dict: ``model``, ``path`` (the optimised model directory),
            ``techniques``, ``optimization_goal``, ``precision`` and
            ``weight_bytes`` as the core opens the result,
            ``original_weight_bytes``, ``quantization_report`` (the core's),
            ``quantized_model`` (:class:`QuantizedModel`).
        """
        config = dict(optimization_config or {})
        unknown = sorted(set(config) - set(_CONFIG_KEYS))
        if unknown:
            raise ValueError(f"unknown optimization_config keys {unknown}; supported: {', '.join(_CONFIG_KEYS)}")
        if techniques is None:
            techniques = config.get("techniques", ["quantization"])
        techs: List[str] = [techniques] if isinstance(techniques, str) else list(techniques or [])
        if not techs:
            raise ValueError("no techniques given; supported: " + ", ".join(SUPPORTED_TECHNIQUES))
        bad = [t for t in techs if t not in SUPPORTED_TECHNIQUES]
        if bad:
            raise NotImplementedError(
                f"optimization technique(s) {', '.join(repr(t) for t in bad)} not implemented in ipfs_accelerate; "
                f"supported: {', '.join(SUPPORTED_TECHNIQUES)} (post-training quantisation to 8, 4 or 2 bits, "
                "optionally mixed precision). Nothing was changed.")
        goal = config.get("optimization_goal")
        if goal is not None and goal not in OPTIMIZATION_GOALS:
            raise ValueError(f"optimization_goal {goal!r}: one of {', '.join(OPTIMIZATION_GOALS)}")
        constraints = dict(config.get("constraints") or {})
        unknown = sorted(set(constraints) - set(_CONSTRAINTS))
        if unknown:
            raise ValueError(f"unknown constraints {unknown}; supported: {', '.join(_CONSTRAINTS)}")
        qconfig = dict(quantization_config or config.get("quantization_config") or {"bits": 8})

        # Validate the constraint before minutes of work: a malformed size is the core's ValueError.
        base = hardware_profile if hardware_profile is not None else HardwareProfile()
        check_profile = base
        if "max_memory_usage" in constraints:
            check_profile = base.replace(memory_limit=constraints["max_memory_usage"], check_available=False)

        quantized = self.engine.quantize(model_name=model_name, hardware_profile=hardware_profile,
                                         quantization_config=qconfig, calibration_dataset=calibration_dataset,
                                         output_dir=output_dir)
        with Model(quantized.path, check_profile) as m:  # the core enforces the memory limit here
            info = m.info()
        with Model(model_name, base.replace(precision="fp32", check_available=False)) as ref:
            original_bytes = ref.weight_bytes
        if self.worker is not None:
            devices = {quantized.path: [base.device]} if base.backend != "auto" else None
            self.worker.init_worker(models=[quantized.path], local_endpoints=devices)
        return {
            "model": model_name,
            "path": quantized.path,
            "techniques": techs,
            "optimization_goal": goal,
            "precision": info["precision"],
            "weight_bytes": info["weight_bytes"],
            "original_weight_bytes": original_bytes,
            "quantization_report": quantized.report,
            "quantized_model": quantized,
        }
