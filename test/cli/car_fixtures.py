#!/usr/bin/env python3
"""car_fixtures.py OUT_DIR — hostile CAR v1 files for test/cli/test_car.sh,
written from scratch (sha256, dag-pb and UnixFS by hand) so that the C code
under test does not make its own inputs.

  bomb.car      valid hashes, a duplicate-link bomb: a 1000-byte leaf, a node
                linking it 1000 times (1 MB), one linking that 1000 times
                (1 GB), one linking that 1000 times (1 TB): 100 KB of CAR
  dirbomb.car   valid hashes, 64 names for one directory, four levels deep:
                16.7 million entries
  dup.car       the same block in two sections (valid: stored once)
  wrongcid.car  the block "hello" under the CID of "world"
  selfref.car   a dag-pb node that links to the CID it is filed under (a
                cycle: its bytes cannot hash to that CID)
  dupname.car   a directory holding the name "a" twice
  dotdot.car    a directory entry named ".."
Prints "name root-cid" lines.
"""
import base64
import hashlib
import os
import sys

RAW, DAG_PB = 0x55, 0x70


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def cid(codec, block):
    return bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(block).digest()


def cid_text(c):
    return "b" + base64.b32encode(c).decode().lower().rstrip("=")


def field_bytes(num, b):
    return bytes([num << 3 | 2]) + varint(len(b)) + b


def field_varint(num, v):
    return bytes([num << 3]) + varint(v)


def pb_node(links, data):
    """links: [(cid bytes, name bytes, tsize)], Links before Data as kubo writes."""
    out = b""
    for h, name, tsize in links:
        out += field_bytes(2, field_bytes(1, h) + field_bytes(2, name) + field_varint(3, tsize))
    return out + field_bytes(1, data)


def unixfs_file(blocksizes):
    d = field_varint(1, 2) + field_varint(3, sum(blocksizes))
    for b in blocksizes:
        d += field_varint(4, b)
    return d


UNIXFS_DIR = field_varint(1, 1)


def car(root, blocks):
    header = (b"\xa2\x65roots\x81\xd8\x2a\x58" + bytes([len(root) + 1]) + b"\x00" + root +
              b"\x67version\x01")
    out = varint(len(header)) + header
    for c, b in blocks:
        out += varint(len(c) + len(b)) + c + b
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    made = {}

    # bomb: leaf, n1 = 1000 x leaf, n2 = 1000 x n1, n3 = 1000 x n2
    leaf = bytes((i * 7) & 0xFF for i in range(1000))
    blocks, child, size = [(cid(RAW, leaf), leaf)], cid(RAW, leaf), 1000
    for _ in range(3):
        node = pb_node([(child, b"", size)] * 1000, unixfs_file([size] * 1000))
        child, size = cid(DAG_PB, node), size * 1000
        blocks.append((child, node))
    made["bomb"] = (child, car(child, blocks[::-1]))

    # dirbomb: a file, then 4 levels of 64 names each for the level below
    f = b"x"
    child = cid(RAW, f)
    blocks = [(child, f)]
    for _ in range(4):
        node = pb_node([(child, b"n%02d" % i, 1) for i in range(64)], UNIXFS_DIR)
        child = cid(DAG_PB, node)
        blocks.append((child, node))
    made["dirbomb"] = (child, car(child, blocks[::-1]))

    hello = b"hello"
    made["dup"] = (cid(RAW, hello), car(cid(RAW, hello), [(cid(RAW, hello), hello)] * 2))
    made["wrongcid"] = (cid(RAW, b"world"), car(cid(RAW, b"world"), [(cid(RAW, b"world"), hello)]))

    claimed = cid(DAG_PB, b"some other bytes")
    selfref = pb_node([(claimed, b"", 1)], unixfs_file([1]))
    made["selfref"] = (claimed, car(claimed, [(claimed, selfref)]))

    x = cid(RAW, b"x")
    dupname = pb_node([(x, b"a", 1), (x, b"a", 1)], UNIXFS_DIR)
    made["dupname"] = (cid(DAG_PB, dupname), car(cid(DAG_PB, dupname), [(cid(DAG_PB, dupname), dupname), (x, b"x")]))
    dotdot = pb_node([(x, b"..", 1)], UNIXFS_DIR)
    made["dotdot"] = (cid(DAG_PB, dotdot), car(cid(DAG_PB, dotdot), [(cid(DAG_PB, dotdot), dotdot), (x, b"x")]))

    for name, (root, data) in made.items():
        with open(os.path.join(out, name + ".car"), "wb") as fh:
            fh.write(data)
        print(name, cid_text(root))


if __name__ == "__main__":
    main()
