#!/usr/bin/env python3
"""Request bodies for bench/run.sh (standard library only).

  bodies.py png SIZE OUT [SIDE]
      A valid PNG (SIDE x SIDE RGB, default 64, real IDAT) padded after IEND to exactly SIZE
      bytes. The server reads only the header (type and dimensions), so the padding is accepted.
      `png 250 OUT 8` is the small (~250-byte) image of the cache scenarios.
  bodies.py photo WIDTH HEIGHT noise|smooth OUT
      A PNG with real pixels to decode: random ones (`noise`, incompressible: 3 bytes a pixel,
      like a photo's entropy) or gradients (`smooth`, small file, same pixel count), then 64
      bytes of padding after IEND, room for the unique tag of an upload.
  bodies.py copies SRC N OUT_PREFIX
      N copies of SRC (OUT_PREFIX-0 ...) whose last 24 bytes (padding) differ: N new hashes.
  bodies.py multipart OUT_PREFIX BOUNDARY [PNG]
      A multipart/form-data body for POST /post, split in two files, OUT_PREFIX.pre and
      OUT_PREFIX.tail: the load generator puts a unique 24-byte tag between them. Without PNG the
      tag lands in the post text; with PNG it lands in the file's bytes after IEND, so every
      upload has a new SHA-256 (a real PUT to object storage, not the de-duplicated path).
"""
import os
import struct
import sys
import zlib

TAG_LEN = 24


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(width: int, height: int, rows: list) -> bytes:
    """An RGB PNG of the given rows (each: filter byte 0, then 3 bytes a pixel)."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


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
    return encode_png(width, height, rows) + b"\x00" * 64


def png(size: int, side: int = 64) -> bytes:
    data = encode_png(side, side, gradient_rows(side, side))
    if size < len(data):
        raise SystemExit(f"a PNG needs at least {len(data)} bytes")
    return data + b"\x00" * (size - len(data))


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
        # The tag overwrites the last TAG_LEN padding bytes: the file keeps its size.
        file_head = (
            b"--" + b + b"\r\n"
            + b'Content-Disposition: form-data; name="file"; filename="bench.png"\r\n'
            + b"Content-Type: image/png\r\n\r\n"
        )
        pre = head + field("post", b"A post with an image, created by the benchmark.")
        pre += file_head + image[:-TAG_LEN]
        tail = b"\r\n" + closing
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
        with open(sys.argv[2], "rb") as f:
            data = f.read()
        for i in range(int(sys.argv[3])):
            with open(f"{sys.argv[4]}-{i}", "wb") as f:
                f.write(data[:-TAG_LEN] + f"copy-{i:019d}".encode()[:TAG_LEN])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "multipart":
        multipart(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
