#!/usr/bin/env python3
"""Request bodies for bench/run.sh (standard library only).

  bodies.py png SIZE OUT
      A valid PNG (64x64 RGB, real IDAT) padded after IEND to exactly SIZE bytes. The server
      reads only the header (type and dimensions), so the padding is accepted.
  bodies.py multipart OUT_PREFIX BOUNDARY [PNG]
      A multipart/form-data body for POST /post, split in two files, OUT_PREFIX.pre and
      OUT_PREFIX.tail: the load generator puts a unique 24-byte tag between them. Without PNG the
      tag lands in the post text; with PNG it lands in the file's bytes after IEND, so every
      upload has a new SHA-256 (a real PUT to object storage, not the de-duplicated path).
"""
import struct
import sys
import zlib

TAG_LEN = 24


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(size: int) -> bytes:
    width = height = 64
    # One filter byte per row, then RGB pixels: a simple gradient.
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += bytes(((x * 4) & 255, (y * 4) & 255, ((x + y) * 2) & 255))
        rows.append(bytes(row))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )
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
    if len(sys.argv) == 4 and sys.argv[1] == "png":
        with open(sys.argv[3], "wb") as f:
            f.write(png(int(sys.argv[2])))
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "multipart":
        multipart(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
