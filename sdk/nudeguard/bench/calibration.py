"""The calibration workload of ``nudeguard bench``: fixed work that stresses what a check
stresses, timed in the same rounds as the stages, so that stage time / calibration time
carries over between machines of different speed.

Its parts use none of nudeguard's own code, so a change to nudeguard cannot move the
calibration with the stage it slows (which would hide the slowdown in a calibrated
comparison):

* ``memory``: a 64 MiB numpy copy (memory bandwidth; a decoded 12 MP photo is 36 MB);
* ``simd``: uint8 arithmetic on cache-resident numpy arrays (integer SIMD throughput, as in
  the preprocess, blur and hash kernels);
* ``jpeg``: OpenCV decoding a fixed 1 MP JPEG at full size (libjpeg-turbo's entropy decoding
  and inverse DCT, most of a photo's decode stage);
* ``interpreter``: one invoke of a small int8 convolution network, built here in memory, on
  one thread of the runtime's interpreter (its int8 kernels; the bundled window model runs
  float32 ones since issue 21, which this part does not yet track).

The calibration figure is the geometric mean of the parts' CPU times, so each part weighs
the same whatever its length. Every part is single-threaded: the figure measures a core.

The network is written with the flatbuffer schema and ``flatbuffers`` package that ship with
LiteRT (``ai-edge-litert``); where only tflite-runtime is installed, the calibration has no
``interpreter`` part, the report says so, and calibrated comparisons need the same parts on
both sides.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional

import cv2
import numpy as np

from ..detect.runtime import Runtime

__all__ = ["CALIBRATION_VERSION", "Calibration", "calibration_network"]

#: Bumped whenever a part's work changes: figures of different versions are not comparable.
CALIBRATION_VERSION = 1

_MEMORY_BYTES = 64 << 20
_SIMD_BYTES = 128 << 10
_SIMD_PASSES = 24


def calibration_network(side: int = 56, channels: int = 32, layers: int = 4) -> Optional[bytes]:
    """A fixed int8 network of ``layers`` 3x3 convolutions (``side`` x ``side`` x ``channels``,
    per-channel weight scales, ReLU) as a ``.tflite`` flatbuffer; ``None`` when LiteRT's
    schema module is not installed."""
    try:
        import flatbuffers
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:
        return None
    rng = np.random.default_rng(20240601)
    buffers = [schema.BufferT()]  # buffer 0 is the empty buffer by convention
    tensors = []
    activation_scale = 0.05

    def tensor(name: str, shape: tuple, tensor_type: int, scales: np.ndarray, data: Optional[np.ndarray] = None) -> int:
        quantization = schema.QuantizationParametersT()
        quantization.scale = [float(s) for s in scales]
        quantization.zeroPoint = [0] * len(scales)
        quantization.quantizedDimension = 0
        entry = schema.TensorT()
        entry.name, entry.shape, entry.type, entry.quantization = name, list(shape), tensor_type, quantization
        entry.buffer = 0
        if data is not None:
            buffer = schema.BufferT()
            buffer.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
            buffers.append(buffer)
            entry.buffer = len(buffers) - 1
        tensors.append(entry)
        return len(tensors) - 1

    activation = (1, side, side, channels)
    first = current = tensor("input", activation, schema.TensorType.INT8, np.array([activation_scale]))
    operators = []
    for layer in range(layers):
        weight_scales = np.full(channels, 0.002)
        weights = rng.integers(-127, 128, (channels, 3, 3, channels), dtype=np.int8)
        bias = rng.integers(-1000, 1000, channels).astype(np.int32)
        inputs = [current,
                  tensor(f"weights_{layer}", weights.shape, schema.TensorType.INT8, weight_scales, weights),
                  tensor(f"bias_{layer}", bias.shape, schema.TensorType.INT32, weight_scales * activation_scale, bias)]
        current = tensor(f"conv_{layer}", activation, schema.TensorType.INT8, np.array([activation_scale]))
        options = schema.Conv2DOptionsT()
        options.padding, options.strideW, options.strideH = schema.Padding.SAME, 1, 1
        options.fusedActivationFunction = schema.ActivationFunctionType.RELU
        operator = schema.OperatorT()
        operator.opcodeIndex, operator.inputs, operator.outputs = 0, inputs, [current]
        operator.builtinOptionsType, operator.builtinOptions = schema.BuiltinOptions.Conv2DOptions, options
        operators.append(operator)
    graph = schema.SubGraphT()
    graph.name, graph.tensors, graph.inputs, graph.outputs, graph.operators = "main", tensors, [first], [current], operators
    conv = schema.OperatorCodeT()
    conv.builtinCode = conv.deprecatedBuiltinCode = schema.BuiltinOperator.CONV_2D
    conv.version = 3  # per-channel int8
    model = schema.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, [conv], [graph], buffers
    model.description = "nudeguard bench calibration"
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class Calibration:
    """The calibration's parts, ready to time: ``parts`` maps a part's name to one call."""

    def __init__(self, runtime: Runtime, jpeg: bytes) -> None:
        rng = np.random.default_rng(7)
        self._source = rng.integers(0, 256, _MEMORY_BYTES, dtype=np.uint8)
        self._target = np.empty_like(self._source)
        self._a = rng.integers(0, 256, _SIMD_BYTES, dtype=np.uint8)
        self._b = rng.integers(0, 256, _SIMD_BYTES, dtype=np.uint8)
        self._c = np.empty_like(self._a)
        self._jpeg = np.frombuffer(jpeg, np.uint8)
        self.parts: Dict[str, Callable[[], object]] = {
            "memory": self._memory, "simd": self._simd, "jpeg": self._decode_jpeg,
        }
        network = calibration_network()
        if network is not None:
            self._interpreter = runtime.interpreter_class(model_content=network, num_threads=1)
            self._interpreter.allocate_tensors()
            (detail,) = self._interpreter.get_input_details()
            self._interpreter.set_tensor(detail["index"], rng.integers(-128, 128, detail["shape"], dtype=np.int8))
            self.parts["interpreter"] = self._interpreter.invoke
        self.version = CALIBRATION_VERSION

    def _memory(self) -> None:
        np.copyto(self._target, self._source)

    def _simd(self) -> None:
        a, b, c = self._a, self._b, self._c
        for _ in range(_SIMD_PASSES):
            np.add(a, b, out=c)
            np.maximum(c, a, out=c)
            np.bitwise_xor(c, b, out=c)

    def _decode_jpeg(self) -> None:
        cv2.imdecode(self._jpeg, cv2.IMREAD_COLOR)
