"""Link checking: what outgoing requests may reach, fetching, states, archives.

Owns the network side of sources, pure of the database:

- :mod:`.netguard`: the SSRF policy (which schemes, ports and addresses may be
  reached) and an httpx transport that connects only to checked addresses;
- :mod:`.links`: checking one URL or many at once (HEAD, then GET for titles),
  the total per-request deadline, and the live/failing/dead state machine;
- :mod:`.bodies`: reading bodies capped by decoded size (bounded gzip/deflate)
  and decoding text by its declared charset;
- :mod:`.archive`: the Wayback Machine client.

The use cases that record checks and archives are in :mod:`tracker.services.links`.
"""
