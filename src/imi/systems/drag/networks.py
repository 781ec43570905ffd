"""The latent transformer: W+ and drag tokens → a new W+ whose picture follows the drag, in one pass."""

from __future__ import annotations

import torch
from torch import nn

from imi.nn.stylegan import style_factor
from imi.systems.drag.config import DragConfig
from imi.tasks.drag.points import Drag, Tokens, drag_tokens, point_features


class LatentTransformer(nn.Module):
    """An encoder over the tokens and a decoder over the latent's layers.

    A token is its position and displacement (over the picture side), its pin flag and the generator's
    features at its position (every resolution's activation, sampled there); the encoder lets the tokens
    see each other (a pin next to a handle means "rotate or stretch", alone "move"). Each of the ``coarse``
    W+ layers is a decoder query (its style, whitened by the prior's style statistics, plus a layer
    embedding) attending to the tokens; the output is an offset to that layer's style in the same units,
    zero-initialised so an untrained editor changes nothing.
    """

    def __init__(self, config: DragConfig, feature_dim: int):
        super().__init__()
        c, d = config, config.d_model
        self.geometry = nn.Linear(5, d)
        self.look = nn.Sequential(nn.LayerNorm(feature_dim), nn.Linear(feature_dim, d))
        self.token_mlp = nn.Sequential(nn.GELU(), nn.Linear(d, d))
        self.style = nn.Linear(c.w_dim, d)
        self.layer = nn.Parameter(torch.randn(c.coarse, d) * 0.02)
        layer = dict(dim_feedforward=2 * d, dropout=0.0, batch_first=True, norm_first=True)
        # Pre-norm layers; the encoder's nested-tensor fast path does not apply to them (and is off).
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, c.heads, **layer), c.enc_layers,
                                             norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(d, c.heads, **layer), c.dec_layers,
                                             norm=nn.LayerNorm(d))
        self.out = nn.Linear(d, c.w_dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.size, self.coarse = c.size, c.coarse

    def forward(self, white: torch.Tensor, tokens: Tokens, feats: torch.Tensor) -> torch.Tensor:
        """``white`` ``(B, coarse, w_dim)`` whitened styles, ``feats`` ``(B, T, F)`` → offsets, same shape."""
        s = self.size
        geo = torch.cat([tokens.pos / s * 2 - 1, tokens.disp / s * 4, tokens.pin.float()[..., None]], -1)
        mem = self.token_mlp(self.geometry(geo) + self.look(feats))
        query = self.style(white) + self.layer
        mem = self.encoder(mem, src_key_padding_mask=~tokens.mask)
        h = self.decoder(query, mem, memory_key_padding_mask=~tokens.mask)
        return self.out(h)


class DragTransformer(nn.Module):
    """A drag model (:class:`imi.tasks.drag.model.DragModel`): the prior's generator, frozen, and the latent
    transformer. Buffers ``w_mean``, ``w_std`` ``(w_dim,)``: the prior's style statistics at the pairs'
    truncation (set when training starts), the units the transformer reads and writes in; ``start_mean``,
    ``start_cov``: the prior's style Gaussian (:func:`imi.nn.stylegan.prior_styles`), which the pairs and the
    editor's start pictures are drawn from."""

    def __init__(self, config: DragConfig):
        super().__init__()
        self.config = config
        self.generator = config.build_generator().requires_grad_(False)
        self.transformer = LatentTransformer(config, self.generator.feature_dim)
        self.register_buffer("w_mean", torch.zeros(config.w_dim))
        self.register_buffer("w_std", torch.ones(config.w_dim))
        self.register_buffer("start_mean", torch.zeros(config.w_dim))
        self.register_buffer("start_cov", torch.eye(config.w_dim))

    def train(self, mode: bool = True) -> DragTransformer:
        super().train(mode)
        self.generator.eval()  # frozen: never in training mode
        return self

    def start_styles(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``(B, w_dim)`` ~ N(0, I) → styles of the prior's Gaussian at the pairs' truncation."""
        return self.start_mean + self.config.truncation * z @ style_factor(self.start_cov).t()

    def moved(self, ws: torch.Tensor, tokens: Tokens, feats: torch.Tensor) -> torch.Tensor:
        """W+ ``(B, L, D)``, tokens and their features → the new W+ (layers past ``coarse`` unchanged)."""
        k = self.config.coarse
        white = (ws[:, :k] - self.w_mean) / self.w_std
        new = ws[:, :k] + self.transformer(white, tokens, feats) * self.w_std
        return torch.cat([new, ws[:, k:]], 1)

    def token_features(self, ws: torch.Tensor, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The picture of ``ws`` (float, about [-1, 1]) and the generator's features at ``pos`` ``(B, T, 2)``."""
        with torch.no_grad():
            rgb, feats = self.generator.synthesis(ws, features=True)
        return rgb, point_features(feats, pos, self.config.size)

    def edit(self, ws: torch.Tensor, drag: Drag) -> torch.Tensor:
        tokens = drag_tokens(drag)
        _, feats = self.token_features(ws, tokens.pos)
        return self.moved(ws, tokens, feats)

    def inference_state(self) -> dict[str, torch.Tensor]:
        return dict(self.state_dict())
