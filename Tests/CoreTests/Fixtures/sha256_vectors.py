"""Regenerates sha256_vectors.json (expected SHA-256 digests and safe folder names) with hashlib.
Run: python3 Tests/CoreTests/Fixtures/sha256_vectors.py"""
import hashlib, json, pathlib

messages = ["", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "a" * 1000000, "x" * 55, "y" * 56, "z" * 64, "M\u00fcller^J\u00fcrgen"]
vectors = [{"message": m if len(m) < 100 else None, "repeat": [m[0], len(m)] if len(m) >= 100 else None,
            "sha256": hashlib.sha256(m.encode("utf-8")).hexdigest()} for m in messages]

def folder(patient, study):
    p = hashlib.sha256(("segstation-patient\0" + patient).encode()).hexdigest()[:16]
    s = hashlib.sha256(("segstation-study\0" + study).encode()).hexdigest()[:16]
    return f"p-{p}_s-{s}"

folders = [{"patientID": p, "studyUID": s, "folder": folder(p, s)}
           for p, s in [("DOE-12345", "1.2.840.113619.2.1"), ("Müller", "1.2.3")]]
out = pathlib.Path(__file__).with_name("sha256_vectors.json")
out.write_text(json.dumps({"vectors": vectors, "folders": folders}, indent=1, ensure_ascii=False) + "\n")
