#!/usr/bin/env python3
"""Reference shard numbers for BatchShardTests: SHA-256(case id) as a big-endian integer, mod N."""
import hashlib

for case_id, n in [("BraTS_001", 4), ("case-0007", 16), ("1.2.840.113619.2.55.3", 7), ("x", 1_000_000)]:
    print(case_id, n, int.from_bytes(hashlib.sha256(case_id.encode()).digest(), "big") % n)
