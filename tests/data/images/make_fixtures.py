#!/usr/bin/python3
"""Writes the small test images of tests/pipeline (run with Debian's python3 + PIL).

Every image is tiny and deterministic; the tests read their expected pixels from
the same formulas, not from a decoder under test.
"""
import os
import struct
import zlib

from PIL import Image, ImageCms

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def pattern(x, y, c):
    """Smooth, asymmetric 8-bit test pattern."""
    return (x * 37 + y * 11 + c * 80) % 256


def write_png(name, width, height, channels, depth, value):
    """A plain PNG writer, for 16-bit colour that PIL cannot write."""
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            for c in range(channels):
                v = value(x, y, c)
                raw += struct.pack(">H", v) if depth == 16 else bytes([v])

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")
    with open(path(name), "wb") as f:
        f.write(data)


def rgb_image(width, height):
    img = Image.new("RGB", (width, height))
    img.putdata([tuple(pattern(x, y, c) for c in range(3)) for y in range(height) for x in range(width)])
    return img


def main():
    w, h = 12, 8
    rgb_image(w, h).save(path("rgb8.png"))
    grey = Image.new("L", (w, h))
    grey.putdata([pattern(x, y, 0) for y in range(h) for x in range(w)])
    grey.save(path("grey8.png"))
    # 16-bit samples: v * 256 + (x + y) keeps the low byte meaningful.
    write_png("grey16.png", w, h, 1, 16, lambda x, y, c: pattern(x, y, 0) * 256 + x + y)
    write_png("rgb16.png", w, h, 3, 16, lambda x, y, c: pattern(x, y, c) * 256 + x + y)
    write_png("rgba16.png", w, h, 4, 16,
              lambda x, y, c: (x * 5000 + y * 300) % 65536 if c == 3 else pattern(x, y, c) * 257)
    write_png("rgba8.png", w, h, 4, 8, lambda x, y, c: (x * 20 + y * 3) % 256 if c == 3 else pattern(x, y, c))
    write_png("greya8.png", w, h, 2, 8, lambda x, y, c: (x * 20) % 256 if c == 1 else pattern(x, y, 0))

    # Palette: 4 colours in quadrants; a second one with a transparent entry.
    pal = Image.new("P", (w, h))
    pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 250, 250, 10] + [0] * (252 * 3))
    pal.putdata([(x >= w // 2) + 2 * (y >= h // 2) for y in range(h) for x in range(w)])
    pal.save(path("palette.png"))
    pal.save(path("palette_trns.png"), transparency=3)
    # 1-bit: a checkerboard of 2 x 2 cells.
    bits = Image.new("1", (w, h))
    bits.putdata([255 if ((x // 2) + (y // 2)) % 2 else 0 for y in range(h) for x in range(w)])
    bits.save(path("bilevel.png"))

    # Flat 8 x 8 blocks survive JPEG almost exactly.
    blocks = Image.new("RGB", (16, 16))
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40)]
    blocks.putdata([colours[(x >= 8) + 2 * (y >= 8)] for y in range(16) for x in range(16)])
    blocks.save(path("blocks.jpg"), quality=98, subsampling=0)
    blocks.convert("CMYK").save(path("cmyk.jpg"), quality=98, subsampling=0)
    rgb_image(w, h).save(path("rgb8.webp"), lossless=True)
    rgb_image(w, h).save(path("rgb8.tif"))
    pal.save(path("palette.gif"))

    # EXIF orientations: the stored pixels are the canonical 24 x 16 image
    # transformed so that applying orientation N shows the canonical image.
    six = colours + [(240, 240, 240), (10, 10, 10)]
    canonical = Image.new("RGB", (24, 16))
    canonical.putdata([six[x // 8 + 3 * (y // 8)] for y in range(16) for x in range(24)])
    canonical.save(path("orientation_canonical.png"))
    inverse = {1: None, 2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM,
               5: Image.TRANSPOSE, 6: Image.ROTATE_90, 7: Image.TRANSVERSE, 8: Image.ROTATE_270}
    for orientation, method in inverse.items():
        stored = canonical if method is None else canonical.transpose(method)
        exif = Image.Exif()
        exif[0x0112] = orientation
        exif[0x013B] = "resr fixture"  # Artist: metadata that must reach the output
        stored.save(path(f"orientation_{orientation}.jpg"), quality=98, subsampling=0,
                    exif=exif.tobytes())

    # An embedded ICC profile, also stored alone: the test compares bytes.
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with open(path("embedded.icc"), "wb") as f:
        f.write(profile)
    rgb_image(w, h).save(path("icc.png"), icc_profile=profile)
    rgb_image(16, 16).save(path("icc.jpg"), quality=95, icc_profile=profile)


if __name__ == "__main__":
    main()
