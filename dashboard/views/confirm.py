"""Editor's queue: verdicts waiting for their second review, oldest first (#11).

Each verdict with its sources and notes on one screen, and Confirm / Reopen. The
buttons call ``services.confirm_verdict`` and ``services.review_claim`` (back to
unreviewed) at the version shown, so a verdict that changed since the page was
drawn is refused, not confirmed unseen.
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, state
from dashboard.pickers import article_picker
from dashboard.render import join_nonempty, md_escape, source_line, status_badge, status_legend
from tracker import services
from tracker.errors import TrackerError
from tracker.models import ClaimStatus
from tracker.queries import PENDING_SHOWN, ClaimDetail, ClaimFilter


def _confirm(claim_id: int, version: int, user: str) -> None:
    _run(claim_id, "Confirmed", services.confirm_verdict, version=version, user=user)


def _reopen(claim_id: int, version: int, user: str) -> None:
    reason = (st.session_state.get(f"e_reason_{claim_id}") or "").strip()
    _run(
        claim_id,
        "Reopened",
        services.review_claim,
        version=version,
        user=user,
        status=ClaimStatus.unreviewed.value,
        note=f"Reopened: {reason}" if reason else None,
    )


def _run(
    claim_id: int, label: str, action: object, *, version: int, user: str, **extra: object
) -> None:
    """A button's callback: runs before the page is drawn again, at the version shown."""
    try:
        data.write(
            action,  # type: ignore[arg-type]
            claim_id=claim_id,
            actor=user,
            expected_version=version,
            **extra,
        )
    except TrackerError as exc:
        st.session_state["_e_refused"] = (claim_id, str(exc))
        return
    st.session_state.pop(f"e_reason_{claim_id}", None)
    state.flash("toast", f"{label} claim #{claim_id}.")


def verdict(d: ClaimDetail, user: str) -> None:
    c = d.claim
    with st.container(border=True, key=f"e_item_{c.id}"):
        when = f"{c.last_reviewed_at:%Y-%m-%d %H:%M} UTC" if c.last_reviewed_at else "?"
        st.markdown(
            join_nonempty(
                [
                    status_badge(c.status, c.flag_reason),
                    f"**\\#{c.id}**",
                    f"by **{md_escape(c.last_reviewed_by)}** on {when}",
                    md_escape(c.article),
                ],
                " · ",
            )
        )
        st.markdown(f"#### {md_escape(c.claim)}")
        st.caption("Quote: " + md_escape(c.quote))
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown(f"**Sources ({len(d.sources)})**")
            if not d.sources:
                st.caption("none")
            for s in d.sources:
                st.markdown(
                    source_line(s.stance, s.title or s.page_title or s.url, s.url, s.publisher)
                )
        with right:
            st.markdown(f"**Notes ({len(d.notes)})**")
            if not d.notes:
                st.caption("none")
            for n in d.notes:
                st.caption(f"{md_escape(n.author)} · {n.created_at:%Y-%m-%d %H:%M} UTC")
                st.markdown(md_escape(n.body))
        refused = st.session_state.get("_e_refused")
        if refused and refused[0] == c.id:
            del st.session_state["_e_refused"]
            st.error(md_escape(refused[1]), icon=":material/block:")
        if c.quote_lost:
            # refused by confirm_verdict too; said here before anyone clicks
            st.warning(
                f"Not confirmable: its quote is not in revision {c.quote_lost_in} of the "
                "article; move or dismiss the claim on its page first.",
                icon=":material/link_off:",
            )
        cols = st.columns([1, 1, 3, 1], vertical_alignment="bottom")
        own = c.last_reviewed_by == user
        cols[0].button(
            "Confirm",
            key=f"e_confirm_{c.id}",
            type="primary",
            on_click=_confirm,
            args=(c.id, c.version, user),
            disabled=c.quote_lost,
            help="You gave this verdict; another editor confirms it" if own else None,
            width="stretch",
        )
        cols[1].button(
            "Reopen",
            key=f"e_reopen_{c.id}",
            on_click=_reopen,
            args=(c.id, c.version, user),
            help="Back to unreviewed, with the reason as a note",
            width="stretch",
        )
        cols[2].text_input(
            "Reason to reopen (optional, kept as a note)",
            key=f"e_reason_{c.id}",
            label_visibility="collapsed",
            placeholder="Reason to reopen (optional, kept as a note)",
        )
        cols[3].page_link("views/claim.py", label="Open claim", query_params={"id": str(c.id)})


def render() -> None:
    url = data.database_url()
    user = auth.current_user()
    st.title("Confirm verdicts")
    state.show_flashes()
    if not user or not auth.can("confirm"):
        st.info(
            f"Editors and admins confirm verdicts; your role ({auth.current_role()}) "
            "can see the pending ones in the review queue (quick filter “Pending confirmation”)."
        )
        return
    chosen = article_picker("Article", key="e_article", everything=state.ALL)
    article = None if chosen in (None, state.ALL) else chosen
    waiting = ClaimFilter(article=article, pending_confirmation=True, include_below_threshold=True)
    total = data.count_claims(url, waiting)
    pending = data.pending_confirmations(url, article)
    st.markdown(
        f"**{total}** {'verdict waits' if total == 1 else 'verdicts wait'} for a second review, "
        "oldest first. " + status_legend()
    )
    if total > len(pending):
        st.caption(f"Showing the oldest {PENDING_SHOWN}; confirm or reopen them to see more.")
    refused = st.session_state.get("_e_refused")
    if refused and refused[0] not in {d.claim.id for d in pending}:
        del st.session_state["_e_refused"]  # its verdict is no longer waiting: say so here
        st.error(f"Claim \\#{refused[0]}: {md_escape(refused[1])}", icon=":material/block:")
    for d in pending:
        verdict(d, user)
    if not pending:
        st.success("Nothing to confirm.")


render()
