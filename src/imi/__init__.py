"""IMI: generating and editing images from language (and, the other way, captioning them)."""

__version__ = "0.1.0"

from imi.pipelines.caption import Captioner
from imi.pipelines.drag import DragEditor
from imi.pipelines.edit import Editor
from imi.pipelines.generate import SceneGenerator
from imi.pipelines.prior import StylePrior
from imi.pipelines.session import EditSession
from imi.pipelines.synthesize import Synthesizer

__all__ = ["Captioner", "DragEditor", "EditSession", "Editor", "SceneGenerator", "StylePrior", "Synthesizer"]
