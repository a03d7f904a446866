"""igcam: Grad-CAM, Grad-CAM++, Integrated Grad-CAM and the rest of the CAM family, computed
on igcam's own tensor and autograd engine (C++; oneDNN on the CPU, cuDNN on a GPU).

    import igcam
    model = igcam.load("resnet50.safetensors")          # .h5, .safetensors or torch.save .pth
    result = model.explain("cat.jpg", methods=["gradcam", "igcam"])
    picture = result.overlay("igcam")                    # (224, 224, 3) uint8

The maps are igcam-run's maps, bit for bit. Errors are Python exceptions with the command-line
tools' messages: FileNotFoundError, OSError, ValueError, TypeError, MemoryError,
igcam.WeightFileError and igcam.FileFormatError (both ValueErrors), igcam.Error (RuntimeError).
"""
from . import _igcam
from ._errors import Error, FileFormatError, WeightFileError
from . import metrics
from ._model import Explanation, IgCamAudit, Layer, Model, Prediction, load, methods
from ._render import colormaps, overlay

__version__ = _igcam.__version__

__all__ = [
    "Error", "Explanation", "FileFormatError", "IgCamAudit", "Layer", "Model", "Prediction", "WeightFileError",
    "backends", "colormaps", "load", "methods", "metrics", "overlay",
]


def backends() -> str:
    """The backends this build of igcam has (CPU, oneDNN, CUDA) and the devices it finds."""
    return _igcam.backend_summary()
