"""Draw the brand images in custom_components/qwen_tts_realtime/brand/ (needs Pillow).

A speech bubble holding a sound wave, in indigo to violet; the logo adds "Qwen TTS" beside it.
Run inside the project's environment, where Pillow comes with Home Assistant:

    bash -c 'source scripts/lib.sh; in_env python .github/brand/generate.py'

Sizes follow the Home Assistant brands rules: icons 256 x 256 (@2x 512 x 512); logos trimmed,
shortest side 128 (@2x 256); transparent background; dark_* variants for dark themes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import sys

from PIL import Image, ImageChops, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[2] / "custom_components/qwen_tts_realtime/brand"
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
)
WORK = 2048  # drawing size of the icon; everything is scaled down with Lanczos
WAVE = (0.34, 0.62, 0.9, 0.62, 0.34)  # bar heights, as a share of the wave's height


@dataclass(frozen=True)
class Palette:
    """Colours of one variant."""

    bubble_from: tuple[int, int, int]
    bubble_to: tuple[int, int, int]
    wave: tuple[int, int, int]
    word: tuple[int, int, int]
    accent: tuple[int, int, int]


LIGHT = Palette((79, 70, 229), (147, 51, 234), (255, 255, 255), (30, 27, 75), (124, 58, 237))
DARK = Palette((129, 140, 248), (192, 132, 252), (30, 27, 75), (238, 242, 255), (196, 181, 253))


def _gradient(size: int, start: tuple[int, int, int], end: tuple[int, int, int]) -> Image.Image:
    """Return a square diagonal gradient from the top left to the bottom right."""
    ramp = Image.linear_gradient("L").resize((size, size))
    diagonal = ImageChops.add(ramp, ramp.rotate(90), scale=2.0)  # (x + y) / 2
    return Image.composite(
        Image.new("RGB", (size, size), end), Image.new("RGB", (size, size), start), diagonal
    )


def icon(palette: Palette) -> Image.Image:
    """Draw the square icon at WORK size: a bubble with its tail at the bottom left."""
    s = WORK
    mask = Image.new("L", (s, s), 0)
    shape = ImageDraw.Draw(mask)
    body_bottom = round(s * 0.8)
    shape.rounded_rectangle((0, 0, s - 1, body_bottom), radius=round(s * 0.2), fill=255)
    shape.polygon(
        [(s * 0.16, body_bottom - s * 0.1), (s * 0.42, body_bottom - s * 0.1), (s * 0.1, s - 1)],
        fill=255,
    )
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    image.paste(_gradient(s, palette.bubble_from, palette.bubble_to), (0, 0), mask)

    bars = ImageDraw.Draw(image)
    width, gap = s * 0.1, s * 0.065
    left = (s - len(WAVE) * width - (len(WAVE) - 1) * gap) / 2
    centre, span = body_bottom / 2, body_bottom * 0.62
    for index, share in enumerate(WAVE):
        x = left + index * (width + gap)
        half = span * share / 2
        bars.rounded_rectangle(
            (x, centre - half, x + width, centre + half), radius=width / 2, fill=palette.wave
        )
    return image


def logo(palette: Palette, font_path: str) -> Image.Image:
    """Draw the icon with "Qwen TTS" to its right, trimmed to what is drawn."""
    mark = icon(palette)
    font = ImageFont.truetype(font_path, round(WORK * 0.56))
    words = (("Qwen ", palette.word), ("TTS", palette.accent))
    text_width = sum(round(font.getlength(text)) for text, _ in words)
    gap = round(WORK * 0.14)
    image = Image.new("RGBA", (WORK + gap + text_width + WORK // 4, WORK), (0, 0, 0, 0))
    image.paste(mark, (0, 0))
    draw = ImageDraw.Draw(image)
    x = WORK + gap
    for text, colour in words:
        # Centred on the bubble's body (the top 80 %), not on the tail.
        draw.text((x, WORK * 0.4), text, font=font, fill=colour, anchor="lm")
        x += round(font.getlength(text))
    return image.crop(image.getbbox())


def _square(image: Image.Image, size: int) -> Image.Image:
    trimmed = image.crop(image.getbbox())
    side = max(trimmed.size)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    canvas.paste(trimmed, ((side - trimmed.width) // 2, (side - trimmed.height) // 2))
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def _logo(image: Image.Image, scale: int) -> Image.Image:
    """Scale to a height of 128 * scale, keeping @2x exactly twice the size of the plain one."""
    width = round(image.width * 128 / image.height)
    return image.resize((width * scale, 128 * scale), Image.Resampling.LANCZOS)


def main() -> None:
    """Write the eight images."""
    font_path = next((path for path in FONTS if Path(path).is_file()), None)
    if font_path is None:
        sys.exit(f"DejaVu Sans Bold not found in {FONTS}")
    OUT.mkdir(parents=True, exist_ok=True)
    for prefix, palette in (("", LIGHT), ("dark_", DARK)):
        mark, wordmark = icon(palette), logo(palette, font_path)
        images = {
            "icon.png": _square(mark, 256),
            "icon@2x.png": _square(mark, 512),
            "logo.png": _logo(wordmark, 1),
            "logo@2x.png": _logo(wordmark, 2),
        }
        for name, image in images.items():
            image.save(OUT / f"{prefix}{name}", optimize=True)


if __name__ == "__main__":
    main()
