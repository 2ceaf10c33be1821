#!/usr/bin/env python3
"""Request bodies for bench/run.py (standard library only; run.py imports it).

  bodies.py png SIZE OUT [SIDE]
      A valid PNG of about SIZE bytes: SIDE pixels wide (default 64; wider for large sizes, so
      that it stays about square), random pixels, stored
      uncompressed, as many rows as it takes. No byte of it is metadata or trailing data, so
      the server stores all of it (it strips those). `png 250 OUT 8` is the small (~250-byte)
      image of the cache scenarios.
  bodies.py photo WIDTH HEIGHT noise|smooth OUT
      A PNG with real pixels to decode: random ones (`noise`, incompressible: 3 bytes a pixel,
      like a photo's entropy) or gradients (`smooth`, small file, same pixel count).
  bodies.py copies SRC N OUT_PREFIX
      N copies of the PNG SRC (OUT_PREFIX-0 ...) whose first pixels differ: N new images that
      still decode (the server strips anything that is not pixels, so only pixels can make
      images distinct).
  bodies.py multipart OUT_PREFIX BOUNDARY [PNG]
      A multipart/form-data body for POST /post, split in two files, OUT_PREFIX.pre and
      OUT_PREFIX.tail: the load generator puts a unique 24-byte tag between them. Without PNG the
      tag lands in the post text; with PNG it overwrites 24 bytes in the middle of the image
      data, as its last pixels, so every upload has a new SHA-256 after stripping (a real PUT to
      object storage, not the de-duplicated path). The tag's pixels sit in a last IDAT chunk of
      their own, whose CRC-32 and the zlib stream's Adler-32 wrk.lua computes per request
      (from OUT_PREFIX.adler): the server decodes every upload, so each must be a valid PNG.
"""
import os
import struct
import sys
import zlib

TAG_LEN = 24


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(width: int, height: int, rows: list, level: int = 6) -> bytes:
    """An RGB PNG of the given rows (each: filter byte 0, then 3 bytes a pixel)."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), level))
        + chunk(b"IEND", b"")
    )


def idat_data(png: bytes) -> tuple:
    """(start, end) of the first IDAT chunk's data."""
    pos = 8
    while pos + 8 <= len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        if png[pos + 4 : pos + 8] == b"IDAT":
            return pos + 8, pos + 8 + length
        pos += 12 + length
    raise SystemExit("no IDAT chunk")


def gradient_rows(width: int, height: int) -> list:
    step = max(1, 256 // width)
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += bytes(((x * step) & 255, (y * step) & 255, ((x + y) * 2) & 255))
        rows.append(bytes(row))
    return rows


def photo(width: int, height: int, kind: str) -> bytes:
    if kind == "noise":
        rows = [b"\x00" + os.urandom(3 * width) for _ in range(height)]
    elif kind == "smooth":
        rows = gradient_rows(width, height)
    else:
        raise SystemExit(f"photo: noise or smooth, not {kind!r}")
    return encode_png(width, height, rows)


def png(size: int, side: int = 64) -> bytes:
    # About square once it is large: the server refuses more than 10 000 pixels a side.
    side = max(side, int((size / 3) ** 0.5))
    row = 1 + 3 * side
    overhead = 8 + 25 + 12 + 12 + 6  # signature, IHDR, IDAT and IEND framing, zlib
    height = max(1, (size - overhead) // (row + 5 * row // 65535 + 1))
    rows = [b"\x00" + os.urandom(3 * side) for _ in range(height)]
    return encode_png(side, height, rows, level=0)


def copies(src: str, n: int, prefix: str) -> None:
    """N PNGs like SRC, each with its first pixel set to its number: distinct images."""
    with open(src, "rb") as f:
        png = f.read()
    (width, height) = struct.unpack(">II", png[16:24])
    start, end = idat_data(png)
    raw = bytearray(zlib.decompress(png[start:end]))
    for i in range(n):
        raw[1:4] = struct.pack(">I", i)[1:]
        with open(f"{prefix}-{i}", "wb") as f:
            f.write(encode_png(width, height, [bytes(raw)], level=1))


def tagged_png_head(image: bytes, prefix: str) -> bytes:
    """The PNG up to its last IDAT chunk's data, which the load generator completes with the
    tag: the image's last TAG_LEN bytes of pixels, in a stored deflate block of their own.

    The image data is compressed again up to those bytes, then flushed to a byte boundary
    (Z_SYNC_FLUSH), then comes the final stored block's header. The last IDAT chunk holds the
    tag and the zlib stream's Adler-32; wrk.lua computes that Adler-32 from the state of the
    bytes before the tag (written to PREFIX.adler as "a b") and the chunk's CRC-32, so every
    upload is a valid PNG with pixels of its own."""
    start, end = idat_data(image)
    raw = zlib.decompress(image[start:end])
    if len(raw) < 2 * TAG_LEN:
        raise SystemExit("the PNG's image data is too small for the tag")
    before = raw[:-TAG_LEN]
    compressor = zlib.compressobj(6)
    stream = compressor.compress(before) + compressor.flush(zlib.Z_SYNC_FLUSH)
    stream += b"\x01" + struct.pack("<HH", TAG_LEN, TAG_LEN ^ 0xFFFF)  # final, stored
    adler = zlib.adler32(before)
    with open(prefix + ".adler", "w") as f:
        f.write(f"{adler & 0xFFFF} {adler >> 16}\n")
    header = image[: idat_data(image)[0] - 8]  # signature, IHDR, anything before IDAT
    return header + chunk(b"IDAT", stream) + struct.pack(">I", TAG_LEN + 4) + b"IDAT"


def multipart(prefix: str, boundary: str, png_path: str | None) -> None:
    b = boundary.encode()

    def field(name: str, value: bytes) -> bytes:
        return (
            b"--" + b + b"\r\n"
            + f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value + b"\r\n"
        )

    head = field("title", b"Benchmark post") + field("username", b"bench")
    closing = b"--" + b + b"--\r\n"
    if png_path is None:
        pre = head + b"--" + b + b'\r\nContent-Disposition: form-data; name="post"\r\n\r\n'
        pre += b"A post created by the benchmark. Tag: "
        tail = b"\r\n" + closing
    else:
        with open(png_path, "rb") as f:
            image = f.read()
        file_head = (
            b"--" + b + b"\r\n"
            + b'Content-Disposition: form-data; name="file"; filename="bench.png"\r\n'
            + b"Content-Type: image/png\r\n\r\n"
        )
        pre = head + field("post", b"A post with an image, created by the benchmark.")
        pre += file_head + tagged_png_head(image, prefix)
        tail = chunk(b"IEND", b"") + b"\r\n" + closing
    with open(prefix + ".pre", "wb") as f:
        f.write(pre)
    with open(prefix + ".tail", "wb") as f:
        f.write(tail)


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "png":
        with open(sys.argv[3], "wb") as f:
            f.write(png(int(sys.argv[2]), *(int(x) for x in sys.argv[4:])))
    elif len(sys.argv) == 6 and sys.argv[1] == "photo":
        with open(sys.argv[5], "wb") as f:
            f.write(photo(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
    elif len(sys.argv) == 5 and sys.argv[1] == "copies":
        copies(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "multipart":
        multipart(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
