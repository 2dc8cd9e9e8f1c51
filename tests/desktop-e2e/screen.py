"""Pixel checks on PNG screenshots (Pillow comes with the image's pins)."""

import io

from PIL import Image, ImageChops


def decode(png: bytes) -> Image.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return Image.open(io.BytesIO(png)).convert("RGB")


def distinct_colours(image: Image.Image) -> int:
    return len(image.getcolors(maxcolors=1 << 24))


def mean_brightness(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    region = image.crop(box).convert("L")
    histogram = region.histogram()
    return sum(level * count for level, count in enumerate(histogram)) / max(1, sum(histogram))


def changed_fraction(before: Image.Image, after: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Share of pixels in `box` that differ between two screenshots."""
    difference = ImageChops.difference(before.crop(box), after.crop(box)).convert("L")
    histogram = difference.histogram()
    return 1 - histogram[0] / max(1, sum(histogram))


def looks_like_xfce_desktop(image: Image.Image) -> bool:
    """Not a blank frame: a wallpaper with many colours and a top panel that stands out."""
    width, height = image.size
    panel = mean_brightness(image, (0, 0, width, 20))
    middle = mean_brightness(image, (0, height // 4, width, 3 * height // 4))
    return distinct_colours(image) > 500 and abs(panel - middle) > 40
