"""The API side of scripts/backup-drill.sh (stdlib only).

  backup-drill.py seed URL STATE      posts with and without images, votes, variants; STATE: what
                                      the board holds afterwards, the variants, a delete token
  backup-drill.py write URL LOG STOP  one sequential writer: creates and votes until file STOP
                                      exists; LOG: one JSON line per answered request, in order
  backup-drill.py check SRC RESTORED STATE LOG BACKUP_DIR
                                      the restored board against the source; PASS/FAIL, exit 1

Why the check is exact although writes went on during the backup: the dump is one snapshot, and
the writer waits for each answer (a vote is answered after its commit) before the next request.
So the restored board must be the board after the seed plus the first n writes of LOG, for one n.
"""

import hashlib
import json
import os
import random
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

WIDTHS = (320, 640)


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers


def png(width, height, seed):
    """A PNG with a pattern of its own per seed (big enough for real 320/640 variants)."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += bytes(((x * seed + y) & 255, (y * 3 + seed * 7) & 255, (x ^ y ^ seed) & 255))
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))


def create(url, title, image=None):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (("title", title), ("post", f"body of {title}"), ("username", "drill")):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if image:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
                     f"Content-Type: image/png\r\n\r\n".encode() + image + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    status, body, _ = request("POST", f"{url}/post", b"".join(parts),
                              {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    if status != 201:
        raise SystemExit(f"create {title!r}: {status} {body[:200]!r}")
    return json.loads(body)


def vote(url, post_id, delta):
    status, body, _ = request("POST", f"{url}/update-post-score",
                              json.dumps({"post_id": post_id, "score_increase": delta}).encode(),
                              {"Content-Type": "application/json"})
    if status != 200:
        raise SystemExit(f"vote {post_id}: {status} {body[:200]!r}")


def list_posts(url):
    """Every post, newest first, following the Link: rel="next" pages."""
    posts, next_url = [], f"{url}/post?sort=new&limit=200"
    while next_url:
        status, body, headers = request("GET", next_url)
        if status != 200:
            raise SystemExit(f"GET {next_url}: {status}")
        posts += json.loads(body)
        next_url = None
        for link in (headers.get("Link") or "").split(","):
            if 'rel="next"' in link:
                next_url = urllib.parse.urljoin(url, link.split(";")[0].strip().strip("<>"))
    return posts


def sha(data):
    return hashlib.sha256(data).hexdigest()


def seed(url, state_file):
    images, variants = [], {}
    for i in range(3):  # three posts with an image of their own, two without
        images.append(create(url, f"seed image {i}", png(700, 420, i + 1)))
        create(url, f"seed text {i}")
    shared = create(url, "seed shares image 0", png(700, 420, 1))  # same bytes: one object
    assert shared["image_hash"] == images[0]["image_hash"], "same bytes, other hash"
    for post in list_posts(url):
        for _ in range(post["id"] % 4):
            vote(url, post["id"], 1)
    for post in images:
        for width in WIDTHS:
            status, body, _ = request("GET", f"{url}/image/{post['image_hash']}?width={width}")
            if status != 200:
                raise SystemExit(f"variant {width} of {post['image_hash']}: {status}")
            variants[f"{post['image_hash']}/{width}"] = sha(body)
    victim = images[2]  # its image is its own: deleting it releases the object
    state = {"posts": list_posts(url), "variants": variants,
             "delete": {"id": victim["id"], "token": victim["delete_token"],
                        "image_hash": victim["image_hash"]}}
    with open(state_file, "w") as f:
        json.dump(state, f)
    print(f"seeded {len(state['posts'])} posts, {len(variants)} variants")


def write(url, log_file, stop_file):
    rnd, mine, n = random.Random(19), [], 0
    targets = [p["id"] for p in list_posts(url)]
    with open(log_file, "w") as log:
        while not os.path.exists(stop_file):
            n += 1
            if n % 3 == 1:
                image = png(48, 32, 100 + n) if n % 9 == 1 else None
                post = create(url, f"written {n}", image)
                mine.append(post["id"])
                log.write(json.dumps({"op": "create", "id": post["id"], "score": post["score"]}) + "\n")
            else:
                post_id, delta = rnd.choice(targets + mine), rnd.choice((1, 1, -1))
                vote(url, post_id, delta)
                log.write(json.dumps({"op": "vote", "id": post_id, "delta": delta}) + "\n")
            log.flush()
    print(f"writer: {n} requests answered")


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what):
        print(("PASS  " if ok else "FAIL  ") + what)
        self.failed += 0 if ok else 1
        return ok


def check(src, restored, state_file, log_file, backup_dir):
    with open(state_file) as f:
        state = json.load(f)
    with open(log_file) as f:
        ops = [json.loads(line) for line in f if line.strip()]
    c = Checks()
    src_posts = {p["id"]: p for p in list_posts(src)}
    new_posts = {p["id"]: p for p in list_posts(restored)}

    # 1. The restored board is the seed plus a prefix of the writer's answered requests.
    scores = {p["id"]: p["score"] for p in state["posts"]}
    target = {i: p["score"] for i, p in new_posts.items()}
    prefix = 0 if scores == target else None
    for n, op in enumerate(ops, 1):
        if prefix is not None:
            break
        if op["op"] == "create":
            scores[op["id"]] = op["score"]
        elif op["id"] in scores:
            scores[op["id"]] += op["delta"]
        if scores == target:
            prefix = n
    c.check(prefix is not None, f"restored board = seed + the first {prefix} of {len(ops)} writes "
            f"made during the backup ({len(new_posts)} posts: ids and scores)")
    c.check(0 < (prefix or 0) < len(ops), "writes went on while the backup ran: answered before "
            f"the dump's snapshot and after it ({len(ops)} in all)")
    fields = ("title", "post", "username", "image_hash", "image_width", "image_height", "created_at")
    differ = [i for i, p in new_posts.items()
              if i not in src_posts or any(p[k] != src_posts[i][k] for k in fields)]
    c.check(not differ, f"every restored post equals the source's ({', '.join(fields)}); differ: {differ}")
    seed_ids = {p["id"] for p in state["posts"]}
    c.check(seed_ids <= set(new_posts), "every post from before the backup is restored")

    # 2. The delete token saved before the backup deletes its post on the restored board, and
    # releases its image there (before any GET of that image: the app keeps small images in memory).
    victim = state["delete"]
    auth = {"Authorization": f"Bearer {victim['token']}"}
    wrong = {"Authorization": "Bearer " + "A" * 43}
    c.check(request("DELETE", f"{restored}/post/{victim['id']}", headers=wrong)[0] == 403,
            "a wrong token is refused (403)")
    c.check(request("DELETE", f"{restored}/post/{victim['id']}", headers=auth)[0] == 204,
            f"the saved delete token deletes post {victim['id']} on the restored board (204)")
    c.check(request("GET", f"{restored}/post/{victim['id']}")[0] == 404, "the post is gone (404)")
    c.check(request("GET", f"{restored}/image/{victim['image_hash']}")[0] == 404,
            "its image is released (404)")
    c.check(request("GET", f"{src}/image/{victim['image_hash']}")[0] == 200,
            "the source board still serves that image")
    with open(os.path.join(backup_dir, "bucket", victim["image_hash"]), "rb") as f:
        c.check(sha(f.read()) == victim["image_hash"], "that image's bytes were in the backup")

    # 3. Every image and every variant has the same bytes on both boards.
    hashes = {p["image_hash"] for i, p in new_posts.items() if p["image_hash"] and i != victim["id"]}
    bad = []
    for h in sorted(hashes):
        s_status, s_body, _ = request("GET", f"{src}/image/{h}")
        r_status, r_body, _ = request("GET", f"{restored}/image/{h}")
        if not (s_status == r_status == 200 and sha(s_body) == sha(r_body) == h):
            bad.append(h)
    c.check(hashes and not bad, f"{len(hashes)} images: same SHA-256 on both boards; differ: {bad}")
    bad, copied = [], 0
    for key, digest in state["variants"].items():
        h, width = key.split("/")
        copied += os.path.exists(os.path.join(backup_dir, "bucket", "variants", h, width))
        if h == victim["image_hash"]:
            continue
        status, body, _ = request("GET", f"{restored}/image/{h}?width={width}")
        if status != 200 or sha(body) != digest:
            bad.append(key)
    c.check(not bad, f"{len(state['variants'])} variants: same SHA-256 as before the backup; differ: {bad}")
    c.check(copied == len(state["variants"]), f"the variants were in the bucket copy ({copied})")

    print(("PASS" if not c.failed else f"FAIL ({c.failed} checks failed)") + ": backup drill")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"seed": seed, "write": write, "check": check}[command](*args)
