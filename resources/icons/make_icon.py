"""Draws the program icon (zizhu.png, zizhu.ico) with Pillow and the bundled font.

Run from anywhere: `python resources/icons/make_icon.py`. The files are committed; this
script only says how they were made (a blue rounded square with a white 助).
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = HERE.parent / "fonts" / "wqy-microhei.ttc"
SIZE = 256


def draw(size: int = SIZE) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    pad = size // 16
    d.rounded_rectangle((pad, pad, size - pad, size - pad), radius=size // 5, fill=(25, 95, 170, 255))
    d.rounded_rectangle((pad, size * 3 // 4, size - pad, size - pad), radius=size // 5, fill=(200, 40, 40, 255))
    d.rectangle((pad, size * 3 // 4, size - pad, size * 3 // 4 + size // 10), fill=(200, 40, 40, 255))
    font = ImageFont.truetype(str(FONT), int(size * 0.56), index=0)
    d.text((size / 2, size * 0.42), "助", font=font, fill="white", anchor="mm")
    return img


def main() -> None:
    img = draw()
    img.save(HERE / "zizhu.png")
    img.save(HERE / "zizhu.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])


if __name__ == "__main__":
    main()
