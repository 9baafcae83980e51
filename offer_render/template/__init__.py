"""Template stage: take template and offer JSON; return validated, frozen models.

:func:`read_inputs` is the front door the pipeline uses (the template given or the
offer's own, validated once per JSON); :func:`parse_template` and :func:`parse_offer`
validate one document; :func:`check_output_size` bounds the image before any pixel is
allocated. The models live in :mod:`~offer_render.template.models`, the rules that
turn pydantic's errors into the engine's messages in :mod:`~offer_render.template.validate`.
"""

from offer_render.template.inputs import TemplateCache, read_inputs, template_entry_bytes
from offer_render.template.models import ImageTemplate, Offer, Rectangle
from offer_render.template.validate import (
    check_output_size,
    check_scale,
    parse_offer,
    parse_template,
)

__all__ = [
    "ImageTemplate",
    "Offer",
    "Rectangle",
    "TemplateCache",
    "check_output_size",
    "check_scale",
    "parse_offer",
    "parse_template",
    "read_inputs",
    "template_entry_bytes",
]
