"""The engine's own SQL on what-if data (openspm.whatif.render): estimates and forecasts."""

from openspm.whatif.render import ModelRenderer, RenderError

__all__ = ["ModelRenderer", "RenderError"]
