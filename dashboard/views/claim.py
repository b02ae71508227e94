"""Claim detail: the claim in its paragraph, the verdict actions, sources, notes, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard import auth, data, state
from dashboard.render import (
    STANCE_COLOURS,
    STATUS_COLOURS,
    badge,
    join_nonempty,
    md_escape,
    paragraph_with_quote,
    safe_link,
    short,
    status_badge,
)
from tracker import queries, services
from tracker.audit import EventAction
from tracker.config import get_settings
from tracker.errors import EditConflict, NotFound, TrackerError
from tracker.intake.text import Outline
from tracker.models import ClaimStatus, EventPublic, FlagReason, RatingUpdate, Stance
from tracker.publishing import publication_blockers, rating_choices
from tracker.queries import ClaimDetail
from tracker.services import links as link_service

LINK_STATES = {
    None: ("not checked yet", "gray"),
    "live": ("live", "green"),
    "failing": ("failing", "orange"),
    "dead": ("dead", "red"),
    "blocked": ("blocked", "violet"),
}


def claim_id_from_request() -> int | None:
    raw = st.query_params.get("id")
    if raw is not None:
        try:
            state.set_claim(int(raw))
        except ValueError:
            st.error(f"“{md_escape(raw)}” is not a claim number.")
    cid = state.get("claim_id")
    return int(cid) if cid is not None else None


def go_to(claim_id: int) -> None:
    state.set_claim(claim_id)
    st.query_params["id"] = str(claim_id)
    st.rerun()


def act(label: str, action: Callable[..., Any], **kwargs: Any) -> bool:
    """Run a service; show its error in the page. True when it succeeded."""
    try:
        result = data.write(action, **kwargs)
    except EditConflict as exc:
        st.session_state["_conflict"] = str(exc)
        return False
    except TrackerError as exc:
        st.session_state["_action_error"] = str(exc)
        return False
    version = getattr(result, "version", None)
    if version is not None and "claim_id" in kwargs:
        state.remember(kwargs["claim_id"], version)
    state.flash("success", label)
    return True


def header(d: ClaimDetail, text: str) -> None:
    c = d.claim
    st.caption(join_nonempty([f"Claim #{c.id}", md_escape(d.article_title), md_escape(c.section)]))
    st.markdown(
        join_nonempty(
            [
                status_badge(c.status, c.flag_reason),
                badge(c.claim_type, "gray"),
                badge(f"assigned to {c.assignee}", "blue") if c.assignee else None,
                badge(f"{c.origin}", "gray"),
                badge(f"score {c.score:.2f}", "orange") if c.score is not None else None,
            ],
            " ",
        )
    )
    st.markdown(f"### {md_escape(c.claim)}")
    if c.reasons:
        st.caption("Why it was extracted: " + md_escape("; ".join(c.reasons)))
    for w in data.article_warnings(data.database_url(), c.article):
        if w.touches(c.quote_start, c.quote_end):
            st.warning("Internal inconsistency: " + md_escape(w.message))
    st.markdown("**In the article**")
    with st.container(border=True):
        if (
            0 <= c.quote_start < c.quote_end <= len(text)
            and text[c.quote_start : c.quote_end] == c.quote
        ):
            section = Outline(text).section_at(c.quote_start)
            if section:
                st.caption(md_escape(section))
            st.markdown(paragraph_with_quote(text, c.quote_start, c.quote_end))
        else:
            st.warning("The quote is not found at its position in the article text:")
            st.markdown(f"> {md_escape(c.quote)}")


def conflict_banner(d: ClaimDetail, seen: int) -> None:
    message = st.session_state.pop("_conflict", None)
    c = d.claim
    if message is None and c.version == seen:
        return
    if message is None:
        who = queries.last_change  # for the name in the banner
        last = data.read(who, claim_id=c.id)
        by = f" by {last[0]} at {last[1]:%H:%M} UTC" if last else ""
        message = f"This claim was changed{by} since you opened it."
    with st.container(border=True):
        st.warning(md_escape(message) + " Reload to see the current version before you act.")
        if st.button("Reload claim", key="c_reload", type="primary"):
            state.remember(c.id, c.version)
            st.rerun()


def actions(d: ClaimDetail, user: str | None, seen: int) -> None:
    c = d.claim
    has_verdict = c.status in (ClaimStatus.verified, ClaimStatus.flagged)
    if not auth.can("review"):
        st.info(f"Your role ({auth.current_role()}) can read claims but not change them.")
    elif has_verdict and not auth.can("reopen_verdict"):
        st.info("This claim has a verdict; an editor can confirm or reopen it.")
    disabled = not auth.can("review") or (has_verdict and not auth.can("reopen_verdict"))
    base = {"claim_id": c.id, "actor": user or "", "expected_version": seen}
    error = st.session_state.pop("_action_error", None)
    if error:
        st.error(md_escape(error))
    if c.pending_confirmation:
        st.warning(
            f"Verdict by {md_escape(c.last_reviewed_by)} is pending confirmation by an editor."
        )
        if (
            auth.can("confirm")
            and c.last_reviewed_by != user
            and st.button("Confirm verdict (second review)", key="c_confirm", type="primary")
        ):
            act("Verdict confirmed.", services.confirm_verdict, **base)
            st.rerun()
    elif c.confirmed_by:
        when = f"{c.confirmed_at:%Y-%m-%d %H:%M}" if c.confirmed_at else "?"
        st.success(f"Verdict confirmed by {md_escape(c.confirmed_by)} on {when} UTC.")

    cols = st.columns(6)
    if cols[0].button(
        "✓ Verify",
        type="primary",
        key="c_verify",
        disabled=disabled or c.status == ClaimStatus.verified,
        help="Needs at least one source",
        width="stretch",
    ):
        act("Verified.", services.review_claim, status=ClaimStatus.verified.value, **base)
        st.rerun()
    if st.session_state.pop("_close_flag", False):
        st.session_state["c_flag_open"] = False
    flag_open = cols[1].toggle("⚑ Flag…", key="c_flag_open", disabled=disabled)
    if cols[2].button(
        "Start review",
        key="c_start",
        disabled=disabled or c.status == ClaimStatus.in_review,
        width="stretch",
    ):
        act("Marked in review.", services.review_claim, status=ClaimStatus.in_review.value, **base)
        st.rerun()
    if c.status == ClaimStatus.dismissed or c.status in (ClaimStatus.verified, ClaimStatus.flagged):
        if cols[3].button("Reopen", key="c_reopen", disabled=disabled, width="stretch"):
            act("Reopened.", services.review_claim, status=ClaimStatus.unreviewed.value, **base)
            st.rerun()
    elif cols[3].button(
        "Dismiss",
        key="c_dismiss",
        disabled=disabled,
        width="stretch",
        help="Not a checkable claim (uses the optional reason below)",
    ):
        reason = (st.session_state.get("c_dismiss_reason") or "").strip()
        act(
            "Dismissed.",
            services.review_claim,
            status=ClaimStatus.dismissed.value,
            note=f"Dismissed: {reason}" if reason else None,
            **base,
        )
        st.rerun()
    if (
        c.assignee is None
        and auth.can("assign_self")
        and cols[4].button("Assign to me", key="c_assign_me", disabled=disabled, width="stretch")
    ):
        act(f"Assigned to {user}.", services.assign_claim, assignee=user, **base)
        st.rerun()
    with (
        cols[5].popover("Assign…", disabled=not auth.can("assign_other"), width="stretch"),
        st.form("c_assign_form", border=False),
    ):
        who = st.text_input("Reviewer", key="c_assignee", placeholder="name, empty = nobody")
        if st.form_submit_button("Assign"):
            act(
                "Assignment changed.",
                services.assign_claim,
                assignee=who.strip() or None,
                **base,
            )
            st.rerun()

    if c.status != ClaimStatus.dismissed and not disabled:
        st.text_input(
            "Dismiss reason (optional)",
            key="c_dismiss_reason",
            placeholder="Dismiss reason (optional), e.g. opinion, not a factual claim",
            label_visibility="collapsed",
            disabled=disabled,
        )
    if c.below_threshold:
        st.info("This extracted sentence scored below the threshold, so it is not in the queue.")
        if st.button(
            "Promote to the review queue", key="c_promote", disabled=not auth.can("promote")
        ):
            act("Promoted.", services.promote_candidate, claim_id=c.id, actor=user or "")
            st.rerun()
    if flag_open:
        with st.form("c_flag_form"):
            st.markdown("**Flag this claim**")
            reason = st.selectbox(
                "Reason",
                [r.value for r in FlagReason],
                key="c_flag_reason",
                index=None,
                placeholder="Choose a reason",
            )
            note = st.text_area("Note: what is wrong, and how you know", key="c_flag_note")
            if st.form_submit_button("Flag claim", type="primary"):
                if act(
                    "Flagged.",
                    services.review_claim,
                    status=ClaimStatus.flagged.value,
                    reason=reason,
                    note=note,
                    **base,
                ):
                    st.session_state["_close_flag"] = True
                st.rerun()


def publication(d: ClaimDetail, user: str | None, seen: int) -> None:
    """The published fact-check: rating and verdict summary (editors edit them)."""
    c = d.claim
    st.subheader("Published fact-check")
    missing = publication_blockers(c)
    if missing:
        st.caption("Not published yet: needs " + md_escape(", ".join(missing)) + ".")
    else:
        st.caption("Published in the article's report and its ClaimReview markup.")
    if c.rating or c.verdict_summary:
        st.markdown(
            join_nonempty(
                [badge(c.rating, "blue") if c.rating else None, md_escape(c.verdict_summary)], " "
            )
        )
        if c.rated_by and c.rated_at:
            st.caption(f"Rated by {md_escape(c.rated_by)} on {c.rated_at:%Y-%m-%d %H:%M} UTC")
    if not auth.can("rate"):
        st.caption("Editors set the rating and write the verdict summary.")
        return
    choices = rating_choices(get_settings().rating_scale)
    with st.form("c_rate_form", border=True):
        rating = st.selectbox(
            "Rating (the desk's scale)",
            choices,
            index=choices.index(c.rating) if c.rating in choices else None,
            placeholder="Choose a rating",
            key="c_rating",
        )
        summary = st.text_area(
            "Verdict summary for readers (one or two sentences; notes stay internal)",
            value=c.verdict_summary or "",
            key="c_summary",
            max_chars=600,
        )
        if st.form_submit_button("Save rating and summary", type="primary"):
            act(
                "Rating and summary saved.",
                services.rate_claim,
                claim_id=c.id,
                changes=RatingUpdate(rating=rating, verdict_summary=summary),
                actor=user or "",
                expected_version=seen,
            )
            st.rerun()


def sources(d: ClaimDetail, user: str | None) -> None:
    head = st.columns([3, 1], vertical_alignment="bottom")
    head[0].subheader(f"Sources ({len(d.sources)})")
    if d.sources and head[1].button(
        "Check links",
        key="c_check_links",
        help="Fetch each source now and record whether it is live",
        disabled=not auth.can("check_links"),
    ):
        with st.spinner("Checking links…"):
            try:
                summary = data.write(
                    link_service.check_sources,
                    claim_id=d.claim.id,
                    host_delay=0.0,
                    actor=user or "",
                )
            except TrackerError as exc:
                state.flash("error", str(exc))
            else:
                state.flash("info", summary.line())
        st.rerun()
    if not d.sources:
        st.caption(
            "No sources yet. Verifying needs a supporting source; flagging as false or "
            "misleading needs a refuting or context one."
        )
    for s in d.sources:
        link_label, link_colour = LINK_STATES.get(s.link_state, (s.link_state or "?", "gray"))
        with st.container(border=True):
            st.markdown(
                join_nonempty(
                    [
                        badge(s.stance, STANCE_COLOURS.get(s.stance, "gray")),
                        safe_link(s.title or s.page_title or s.url, s.url),
                        md_escape(s.publisher),
                    ],
                    " ",
                )
            )
            status = f" (HTTP {s.http_status})" if s.http_status else ""
            extra = [badge(f"link {link_label}{status}", link_colour)]
            if s.archived_url:
                extra.append(safe_link("archived copy", s.archived_url))
            extra.append(f"added by {md_escape(s.added_by)} {s.added_at:%Y-%m-%d %H:%M}")
            st.caption(" · ".join(extra))
    with st.form("c_source_form", clear_on_submit=True):
        st.markdown("**Add a source**")
        url = st.text_input("URL (http or https)", key="c_src_url")
        c1, c2, c3 = st.columns(3)
        stance = c1.selectbox("Stance", [x.value for x in Stance], key="c_src_stance")
        title = c2.text_input("Title", key="c_src_title")
        publisher = c3.text_input("Publisher", key="c_src_publisher")
        if st.form_submit_button("Add source", disabled=not auth.can("add_source")):
            if act(
                "Source added.",
                services.add_source,
                claim_id=d.claim.id,
                url=url,
                stance=stance,
                title=title or None,
                publisher=publisher or None,
                actor=user or "",
            ):
                st.rerun()
            else:
                st.error(md_escape(st.session_state.pop("_action_error", "")))


# --- "Checked before" (#12) ----------------------------------------------------------

MATCHES_SHOWN = 5


def checked_before(d: ClaimDetail, user: str | None) -> None:
    """Earlier reviewed claims of other articles and published fact-checks like this one.

    Reusing adds the match's sources as new sources (audited); a verdict is never copied.
    """
    c = d.claim
    st.subheader("Checked before")
    try:
        matches = data.checked_before(data.database_url(), c.id, c.claim, MATCHES_SHOWN)
    except TrackerError as exc:
        st.caption(md_escape(str(exc)))
        return
    if not matches:
        st.caption(
            "No reviewed claim of another article and no published fact-check in the "
            "reference library is like this one (`tracker import factchecks` loads some)."
        )
        return
    st.caption("Most similar first. Reusing adds sources only; the verdict stays yours.")
    for m in matches:
        with st.container(border=True):
            verdict = m.verdict or "no rating"
            if m.rating:
                verdict += f" → {m.rating}"
            st.markdown(
                join_nonempty(
                    [
                        badge(m.kind, "blue" if m.kind == "claim" else "violet"),
                        badge(verdict, "orange"),
                        badge(f"similarity {m.score:.2f}", "gray"),
                    ],
                    " ",
                )
            )
            st.markdown(md_escape(m.text))
            where = f"article {m.where}" if m.kind == "claim" else m.where
            st.caption(
                join_nonempty(
                    [
                        f"{m.kind} #{m.id}",
                        md_escape(where),
                        m.date.isoformat() if m.date else None,
                        md_escape(m.title),
                        "matched: " + md_escape(", ".join(m.words)) if m.words else None,
                    ],
                    " · ",
                )
            )
            for src in m.sources:
                label = src.get("title") or src.get("url") or ""
                stance = f"[{src['stance']}] " if src.get("stance") else ""
                st.markdown(stance + safe_link(label, src.get("url") or ""))
            if m.sources and st.button(
                "Reuse its sources",
                key=f"c_reuse_{m.kind}_{m.id}",
                disabled=not auth.can("add_source"),
                help="Add its sources to this claim as new sources (recorded in the history)",
            ):
                act(
                    "Sources reused.",
                    services.reuse_sources,
                    claim_id=c.id,
                    kind=m.kind,
                    match_id=m.id,
                    actor=user or "",
                )
                st.rerun()


def notes(d: ClaimDetail, user: str | None) -> None:
    st.subheader(f"Notes ({len(d.notes)})")
    for n in d.notes:
        with st.container(border=True):
            st.caption(f"{md_escape(n.author)} · {n.created_at:%Y-%m-%d %H:%M} UTC")
            st.markdown(md_escape(n.body))
    with st.form("c_note_form", clear_on_submit=True):
        body = st.text_area("Add a note", key="c_note_body")
        if st.form_submit_button("Add note", disabled=not auth.can("add_note")):
            if act(
                "Note added.", services.add_note, claim_id=d.claim.id, body=body, actor=user or ""
            ):
                st.rerun()
            else:
                st.error(md_escape(st.session_state.pop("_action_error", "")))


def _describe(e: EventPublic) -> str:
    """One history line's "what", chosen by the event's kind (never by matching strings)."""
    try:
        action = EventAction(e.action)
    except ValueError:  # an action this version does not know: show it as recorded
        return md_escape(e.action)
    if action is EventAction.review:
        return f"{action.label}: {md_escape(e.old_value)} → **{md_escape(e.new_value)}**"
    if action in (EventAction.note_added, EventAction.source_added, EventAction.created):
        return f"{action.label}: {md_escape(short(e.new_value, 80))}"
    if e.field:
        old = md_escape(short(e.old_value, 40)) or "–"
        new = md_escape(short(e.new_value, 60)) or "–"
        return f"{action.label} {md_escape(e.field)}: {old} → {new}"
    return action.label


def history(d: ClaimDetail) -> None:
    st.subheader("History")
    for e in reversed(d.events):
        detail = f" ({md_escape(e.detail)})" if e.detail else ""
        st.markdown(f"`{e.at:%Y-%m-%d %H:%M}` **{md_escape(e.actor)}** {_describe(e)}{detail}")


def render() -> None:
    user = auth.current_user()
    cid = claim_id_from_request()
    state.show_flashes()
    if cid is None:
        st.title("Claim")
        st.info("No claim chosen. Open one from the review queue, or go to the next unreviewed.")
        nxt = data.read(queries.next_claim_id)
        if nxt is not None and st.button("Next unreviewed →", type="primary", key="c_first"):
            go_to(nxt)
        return
    try:
        d = data.read(queries.claim_detail, claim_id=cid)
    except NotFound as exc:
        st.title("Claim")
        st.error(md_escape(str(exc)))
        return
    seen = state.seen_versions().setdefault(cid, d.claim.version)
    _, _title, text = data.article_text(data.database_url(), d.claim.article)

    nav = st.columns([1, 1, 1, 3])
    if nav[0].button("← Queue", key="c_back"):
        st.switch_page("views/queue.py")
    nxt = data.read(queries.next_claim_id, after_id=cid)
    if nav[1].button(
        "Next unreviewed →", key="c_next", disabled=nxt is None or nxt == cid, type="primary"
    ):
        go_to(nxt or cid)
    if nav[2].button("See in article", key="c_article"):
        st.session_state["a_focus"] = cid
        st.switch_page("views/article.py")

    header(d, text)
    conflict_banner(d, seen)
    actions(d, user, seen)
    publication(d, user, seen)
    st.divider()
    left, right = st.columns([3, 2], gap="large")
    with left:
        sources(d, user)
        notes(d, user)
    with right:
        checked_before(d, user)
        history(d)
    st.caption(
        f"Version {d.claim.version} · status colours: "
        + ", ".join(f"{k} = {v}" for k, v in STATUS_COLOURS.items())
    )


render()
