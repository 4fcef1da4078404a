"""Brand images (Home Assistant brands rules; served from brand/ since Home Assistant 2026.3)."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import DOMAIN

from .files import INTEGRATION, ROOT

BRAND_IMAGES = ("icon", "logo")


def _brand_files() -> Iterator[tuple[str, str, int]]:
    """Yield (file name, kind, scale) of every image Home Assistant looks for."""
    for prefix in ("", "dark_"):
        for kind in BRAND_IMAGES:
            yield f"{prefix}{kind}.png", kind, 1
            yield f"{prefix}{kind}@2x.png", kind, 2


@pytest.mark.parametrize(("name", "kind", "scale"), list(_brand_files()))
def test_brand_image(name: str, kind: str, scale: int) -> None:
    """Sizes, PNG with transparency, and trimmed (no empty border)."""
    path = INTEGRATION / "brand" / name
    assert path.is_file(), f"missing {path.relative_to(ROOT)}"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        alpha = image.getchannel("A")
        assert alpha.getextrema()[0] == 0, "the background must be transparent"
        box = alpha.getbbox()
        width, height = image.size
        if kind == "icon":
            assert image.size == (256 * scale, 256 * scale)
            assert box is not None
            assert box[2] - box[0] == width or box[3] - box[1] == height, "not trimmed"
        else:
            assert min(width, height) == 128 * scale
            assert box == (0, 0, width, height), "not trimmed"
            if scale == 2:
                with Image.open(path.with_name(name.replace("@2x", ""))) as plain:
                    assert image.size == (plain.width * 2, plain.height * 2)


async def test_home_assistant_serves_the_brand_images(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, enable_custom_integrations: None
) -> None:
    """The brands integration serves each file from brand/ (none falls back to another)."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    for name, _, _ in _brand_files():
        response = await client.get(f"/api/brands/integration/{DOMAIN}/{name}")
        assert response.status == 200, name
        assert await response.read() == (INTEGRATION / "brand" / name).read_bytes(), name


def test_brand_folder_has_only_known_files() -> None:
    """Home Assistant serves only the eight known names; anything else is dead weight."""
    known = {name for name, _, _ in _brand_files()}
    present = {path.name for path in (INTEGRATION / "brand").iterdir()}
    assert present <= known, f"unexpected: {present - known}"
