"""PHI at rest: one key ring, a Temporal payload codec, and one file format, all AES-256-GCM.

``keyring`` holds the data keys (from settings or a 0600 key file) and knows which one
encrypts; ``codec`` encrypts every Temporal payload; ``files`` encrypts files (X12 copies,
quarantined payer files). Every ciphertext names the key that made it, so keys rotate
without re-encrypting anything.
"""
