"""Symbolic model specifications: the JoMA block, the Lu et al. classifier, user models.

Notebook constructors: :func:`joma`, :func:`lu`, :func:`custom` (validated user models) and
:func:`network` (a model given by its output, for laws that hold for every loss and data set).
"""

from .activations import ACTIVATIONS, DPHI, PHI
from .constructors import custom, joma, lu
from .custom import custom_model
from .joma import ATTENTIONS, joma_block
from .lu import lu_classifier
from .network import network
from .spec import ModelSpec, ParamGroup

__all__ = [
    "ACTIVATIONS",
    "ATTENTIONS",
    "DPHI",
    "PHI",
    "ModelSpec",
    "ParamGroup",
    "custom",
    "custom_model",
    "joma",
    "joma_block",
    "lu",
    "lu_classifier",
    "network",
]
