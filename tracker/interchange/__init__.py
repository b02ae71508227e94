"""Interchange formats: what leaves and enters the tracker as files.

- :mod:`.csvsafe`: spreadsheet formula-injection escaping (and its exact inverse);
- :mod:`.csv_export`: the streaming CSV export and its column list;
- :mod:`.csv_import`: reading that CSV back (decoding, header checks, unescaping);
- :mod:`.tables`: the one reader of foreign CSV (RFC 4180) and TSV (IANA: unquoted);
- :mod:`.mapping`: another tracker's CSV/TSV through a column mapping, and label files;
- :mod:`.labels`: the one reader of label files (a rating number must be finite);
- :mod:`.rejects`: the rows an import skipped (``--skip-invalid FILE``);
- :mod:`.json_dump`: the full-fidelity JSON Lines dump and its canonical row encoding;
- :mod:`.keyset`: the keys a long import has seen, 16 bytes each.

Applying imported rows is a use case: :func:`tracker.services.import_claims_csv`.
Later formats (ClaimReview, JSON dumps, reports) belong here too.
"""
