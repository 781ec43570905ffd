import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from imi.core.ssim import ssim, ssim_map
from imi.domains.digits.dataset import DigitBenchmark


def _reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """scikit-image, per image; (B, C, H, W) arrays."""
    if x.shape[1] == 1:
        return np.array([structural_similarity(a[0], b[0], data_range=255) for a, b in zip(x, y, strict=True)])
    return np.array([structural_similarity(a, b, channel_axis=0, data_range=255) for a, b in zip(x, y, strict=True)])


@pytest.mark.parametrize("channels", [1, 3])
def test_random_uint8_images_match_scikit_image(channels):
    rng = np.random.default_rng(channels)
    x = rng.integers(0, 256, (12, channels, 64, 64), dtype=np.uint8)
    y = np.clip(x.astype(int) + rng.integers(-60, 60, x.shape), 0, 255).astype(np.uint8)
    ours = ssim(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(ours, _reference(x, y), atol=1e-4, rtol=0)


def test_float_images_and_odd_sizes_match_scikit_image():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 255, (5, 3, 37, 50))
    y = np.clip(x + rng.normal(0, 30, x.shape), 0, 255)
    ours = ssim(torch.from_numpy(x), torch.from_numpy(y).float()).numpy()
    np.testing.assert_allclose(ours, _reference(x, y), atol=1e-4, rtol=0)


def test_structured_digit_images_match_scikit_image():
    # Mostly-black canvases with sharp strokes: the case SSIM constants matter most.
    b = DigitBenchmark().split("test").batch(np.arange(0, 369 * 3, 37))
    x, y = b.source.numpy(), b.target.numpy()
    np.testing.assert_allclose(ssim(b.source, b.target).numpy(), _reference(x, y), atol=1e-4, rtol=0)
    assert np.all(ssim(b.source, b.source).numpy() == 1.0)


def test_map_is_the_cropped_per_pixel_ssim():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (1, 1, 30, 30), dtype=np.uint8)
    y = rng.integers(0, 256, (1, 1, 30, 30), dtype=np.uint8)
    _, full = structural_similarity(x[0, 0], y[0, 0], data_range=255, full=True)
    ours = ssim_map(torch.from_numpy(x), torch.from_numpy(y))[0, 0].numpy()
    np.testing.assert_allclose(ours, full[3:-3, 3:-3], atol=1e-6)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        ssim(torch.zeros(1, 1, 64, 64), torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="smaller than"):
        ssim(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 5, 5))
