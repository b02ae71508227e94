"""schema.org ClaimReview JSON-LD for published claims. Pure: data in, JSON out.

One ``ClaimReview`` per published claim, with the fields Google's fact-check
markup documentation lists as required (``claimReviewed``, ``reviewRating``
with ``alternateName``, ``url``, ``author``) and recommended
(``datePublished``, ``itemReviewed`` as a ``Claim`` with its ``author``,
``datePublished`` and ``appearance``). A rating on the desk's scale carries
``ratingValue`` (1 = worst), ``bestRating`` and ``worstRating``; Unverifiable
sits outside the scale and carries only ``alternateName``.

The ``url`` of each review is its claim's anchor in the published report:
``TRACKER_REPORT_BASE_URL`` + ``/SLUG.html#claim-ID``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..config import Settings
from ..errors import ValidationFailed
from ..validation import validate_url

if TYPE_CHECKING:  # the data classes only; this module reads no database
    from ..publishing import PublishedClaim, PublishedReport

CONTEXT = "https://schema.org"


@dataclass(frozen=True)
class Publisher:
    """The organisation that publishes the fact-checks, and where its reports live."""

    name: str
    url: str | None
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Publisher:
        missing = [
            name
            for name, value in (
                ("TRACKER_REPORT_BASE_URL", settings.report_base_url),
                ("TRACKER_ORG_NAME", settings.org_name),
            )
            if not value
        ]
        if missing:
            raise ValidationFailed(
                f"ClaimReview needs {' and '.join(missing)}: where the reports are published "
                "(e.g. https://factcheck.example.org/reports) and who publishes them"
            )
        base = validate_url(settings.report_base_url, "TRACKER_REPORT_BASE_URL")
        org_url = validate_url(settings.org_url, "TRACKER_ORG_URL") if settings.org_url else None
        return cls(name=settings.org_name or "", url=org_url, base_url=base)

    def report_url(self, slug: str) -> str:
        return f"{self.base_url.rstrip('/')}/{quote(slug, safe='')}.html"


def claim_anchor(claim_id: int) -> str:
    """The id of a claim's entry in the report (``#claim-12``)."""
    return f"claim-{claim_id}"


def review_rating(label: str, scale: Sequence[str]) -> dict[str, Any]:
    if label in scale:
        return {
            "@type": "Rating",
            "ratingValue": scale.index(label) + 1,
            "bestRating": len(scale),
            "worstRating": 1,
            "alternateName": label,
        }
    # Unverifiable (or a label a later scale no longer has): no place on the scale.
    return {"@type": "Rating", "alternateName": label}


def claim_review(
    report: PublishedReport, claim: PublishedClaim, *, scale: Sequence[str], by: Publisher
) -> dict[str, Any]:
    organisation: dict[str, Any] = {"@type": "Organization", "name": by.name}
    if by.url:
        organisation["url"] = by.url
    item: dict[str, Any] = {"@type": "Claim"}
    if report.publisher:
        item["author"] = {"@type": "Organization", "name": report.publisher}
    if report.published:
        item["datePublished"] = report.published.isoformat()
    if report.url:
        item["appearance"] = {
            "@type": "CreativeWork",
            "url": report.url,
            "headline": report.title,
        }
    return {
        "@context": CONTEXT,
        "@type": "ClaimReview",
        "url": f"{by.report_url(report.slug)}#{claim_anchor(claim.id)}",
        "claimReviewed": claim.claim,
        "reviewRating": review_rating(claim.rating, scale),
        "reviewBody": claim.verdict_summary,
        "author": organisation,
        "datePublished": claim.published_at.date().isoformat(),
        "itemReviewed": item,
    }


def claim_reviews(
    report: PublishedReport, *, scale: Sequence[str], by: Publisher
) -> list[dict[str, Any]]:
    return [claim_review(report, c, scale=scale, by=by) for c in report.claims]


def dumps(items: list[dict[str, Any]]) -> str:
    """The export file: a JSON array of ClaimReview objects, UTF-8, one trailing newline."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


# Characters that could end or confuse an HTML <script> element, as JSON escapes.
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(items: list[dict[str, Any]]) -> str:
    """JSON for inside ``<script type="application/ld+json">``: no ``</script>`` can end it.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes (as Django's
    ``json_script`` does); the JSON value is unchanged for any parser.
    """
    return json.dumps(items, ensure_ascii=False, indent=1).translate(_SCRIPT_ESCAPES)
