"""Interchange formats: what leaves and enters the tracker as files.

- :mod:`.csvsafe`: spreadsheet formula-injection escaping (and its exact inverse);
- :mod:`.csv_export`: the streaming CSV export and its column list;
- :mod:`.csv_import`: reading that CSV back (decoding, header checks, unescaping).

Applying imported rows is a use case: :func:`tracker.services.import_claims_csv`.
Later formats (ClaimReview, JSON dumps, reports) belong here too.
"""
