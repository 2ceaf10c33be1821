"""Writes DIR/manifest.json for scripts/backup.sh and checks the backup is whole.

stdin: `pg_restore --data-only --table=posts --table=blocked_images --file=- DIR/db.dump`.
Every image a dumped post uses must be an object in DIR/bucket, unless it is blocked (a purge
deletes a blocked image's object and keeps the post, removed). Exit 1 when one is missing: it
was deleted between the dump and the copy, so the backup must be taken again.
"""

import hashlib
import json
import os
import re
import subprocess
import sys


def copy_rows(lines):
    """{table: [row dict]} from the COPY blocks of a plain-format dump."""
    tables, table, columns = {}, None, None
    for line in lines:
        line = line.rstrip("\n")
        m = re.match(r"COPY (?:\w+\.)?(\w+) \((.*)\) FROM stdin;$", line)
        if m:
            table, columns = m.group(1), [c.strip().strip('"') for c in m.group(2).split(",")]
            tables.setdefault(table, [])
        elif line == "\\.":
            table = None
        elif table:
            values = [None if v == "\\N" else v for v in line.split("\t")]
            tables[table].append(dict(zip(columns, values)))
    return tables


def main():
    backup_dir, bucket, started = sys.argv[1:4]
    tables = copy_rows(sys.stdin)
    posts = tables.get("posts", [])
    blocked = {r["image_hash"] for r in tables.get("blocked_images", [])}
    used = {p["image_hash"] for p in posts if p.get("image_hash")}

    objects, total = {}, 0
    root = os.path.join(backup_dir, "bucket")
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            objects[os.path.relpath(path, root)] = os.path.getsize(path)
    originals = [k for k in objects if "/" not in k]
    missing = sorted(h for h in used - blocked if h not in objects)

    digest = hashlib.sha256()
    with open(os.path.join(backup_dir, "db.dump"), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    pg_dump = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout

    manifest = {
        "started": started,
        "database": {
            "file": "db.dump",
            "format": "pg_dump custom, --no-unlogged-table-data",
            "pg_dump": pg_dump.strip(),
            "bytes": os.path.getsize(os.path.join(backup_dir, "db.dump")),
            "sha256": digest.hexdigest(),
            "posts": len(posts),
            "images_used": len(used),
        },
        "bucket": {
            "name": bucket,
            "folder": "bucket",
            "objects": len(objects),
            "originals": len(originals),
            "variants": len(objects) - len(originals),
            "bytes": sum(objects.values()),
        },
        "missing": missing,
        "complete": not missing,
    }
    with open(os.path.join(backup_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps({k: manifest[k] for k in ("database", "bucket", "complete")}))
    if missing:
        print(
            f"INCOMPLETE: {len(missing)} image(s) used by dumped posts were deleted before the "
            f"bucket copy: {' '.join(missing)}. Take the backup again.",
            file=sys.stderr,
        )
        sys.exit(1)


main()
