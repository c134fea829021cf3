#!/usr/bin/env python3
"""Writes the seed corpus of the checkpoint fuzz target (tests/fuzz/corpus/checkpoint/).

The files follow the layout of nn/checkpoint.h, written here independently of the C++ writer
(struct + zlib.crc32), each behind the target's one-byte prefix (0: as is, 1: reseal)."""
import os
import struct
import zlib

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "checkpoint")


def tensor(name, dtype, shape, values):
    fmt = "<%d%s" % (len(values), "f" if dtype == 0 else "i")
    out = struct.pack("<I", len(name)) + name.encode() + struct.pack("<BI", dtype, len(shape))
    out += b"".join(struct.pack("<q", d) for d in shape)
    return out + struct.pack(fmt, *values)


def checkpoint(metadata, tensors, version=2):
    meta = metadata.encode()
    body = struct.pack("<Q", len(meta)) + meta
    body += struct.pack("<Q", len(tensors)) + b"".join(tensors) + b"TPGEND\0\0"
    if version == 1:
        return b"TPGCKPT\0" + struct.pack("<I", 1) + body
    size = 8 + 4 + 8 + len(body) + 4
    head = b"TPGCKPT\0" + struct.pack("<IQ", version, size)
    data = head + body
    return data + struct.pack("<I", zlib.crc32(data))


def main():
    os.makedirs(HERE, exist_ok=True)
    seeds = {
        "two_tensors.bin": b"\0" + checkpoint(
            '{"step": 3, "note": "\u00fc"}',
            [tensor("w", 0, [2, 3], [0.5, -1.0, 2.0, 0.0, 1e-3, 7.0]),
             tensor("ids", 1, [3], [-5, 0, 2147483647])]),
        "empty_and_scalar.bin": b"\1" + checkpoint(
            "{}", [tensor("empty", 0, [0, 3], []), tensor("scalar", 0, [], [-0.0])]),
        "no_tensors.bin": b"\1" + checkpoint('{"k": 1}', []),
        "version1.bin": b"\0" + checkpoint("{}", [tensor("w", 0, [1], [1.0])], version=1),
        "embedding.bin": b"\1" + checkpoint(
            "{}", [tensor("token_embedding.weight", 0, [7, 4], [0.1 * i for i in range(28)])]),
    }
    for name, data in seeds.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
