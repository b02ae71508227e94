"""Claim detail: the claim in its paragraph, the verdict actions, sources, notes, history."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard import auth, data, shortcuts, state
from dashboard.render import (
    article_claim_url,
    badge,
    fine_print,
    join_nonempty,
    lines,
    md_escape,
    paragraph_with_quote,
    safe_link,
    short,
    source_line,
    status_badge,
    status_legend,
)
from tracker import queries, services
from tracker.audit import EventAction
from tracker.config import get_settings
from tracker.errors import EditConflict, NotFound, TrackerError
from tracker.intake.text import Outline
from tracker.models import (
    ClaimPublic,
    ClaimStatus,
    ClaimType,
    ClaimUpdate,
    EventPublic,
    FlagReason,
    QuoteState,
    RatingUpdate,
    Stance,
)
from tracker.permissions import Action
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
    raw = st.query_params.get("id")  # a claim number: the app checked the address
    if raw is not None:
        state.set_claim(int(raw))
    cid = state.get("claim_id")
    return int(cid) if cid is not None else None


def go_to(claim_id: int) -> None:
    state.set_claim(claim_id)
    st.query_params["id"] = str(claim_id)
    st.rerun()


def act(label: str, action: Callable[..., Any], *, where: str = "actions", **kwargs: Any) -> bool:
    """Run a service. Success: a toast (in view wherever the page is scrolled); refusal:
    the reason next to the control that asked (``where``), inputs kept. True on success."""
    try:
        result = data.write(action, **kwargs)
    except EditConflict as exc:
        st.session_state["_conflict"] = str(exc)  # the banner above the actions
        if where != "actions":
            st.session_state["_action_error"] = (where, str(exc))
        return False
    except TrackerError as exc:
        st.session_state["_action_error"] = (where, str(exc))
        return False
    version = getattr(result, "version", None)
    if version is not None and "claim_id" in kwargs:
        state.remember(kwargs["claim_id"], version)
    state.flash("toast", label)
    return True


def refusal(where: str) -> None:
    """The last refused action's reason, if it was asked for here."""
    pending = st.session_state.get("_action_error")
    if pending and pending[0] == where:
        del st.session_state["_action_error"]
        st.error(md_escape(pending[1]), icon=":material/block:")


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
        if c.quote_lost:  # its offsets are the previous revision's: never drawn on this text
            st.warning(
                f"**Quote lost**: revision {c.quote_lost_in} of the article (its current "
                f"text) no longer has it; it was at {c.quote_start}:{c.quote_end} of "
                f"revision {c.quote_revision}:",
                icon=":material/link_off:",
            )
            st.markdown(f"> {md_escape(c.quote)}")
        elif (
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


def lost_quote(d: ClaimDetail, user: str | None, seen: int) -> None:
    """A lost quote: what replaced it, and an editor's two ways to resolve it."""
    c = d.claim
    if c.quote_state != QuoteState.lost:
        if c.quote_state == QuoteState.dismissed:
            st.caption(
                "Dismissed: its quote is not in the article, so it is out of the published "
                "record; reopen it to move it to a sentence of the current text."
            )
        return
    st.markdown("**Resolve the lost quote**")
    with st.container(border=True, key="c_lost"):
        st.markdown(
            "Until it is resolved this claim is not confirmed, rated or published. "
            "**Move** it to a sentence of the current text (a verdict goes back to "
            "in review: what was judged changed), or **dismiss** it (out of the published "
            "record, its history kept)."
        )
        other = _replacement(c.quote_replacement)
        if other is not None:
            st.markdown(
                f"Proposed in its place: claim \\#{other.id} "
                f"{status_badge(other.status, other.flag_reason)}"
            )
            st.markdown(f"> {md_escape(other.quote)}")
            st.page_link(
                "views/claim.py",
                label=f"Open claim #{other.id}",
                query_params={"id": str(other.id)},
            )
        else:
            st.caption("The import proposed no sentence in its place; give one below.")
        refusal("lost")
        if not (auth.can(Action.move_quote) or auth.can(Action.dismiss_lost_quote)):
            st.info(f"An editor resolves it; your role is {auth.current_role()}.")
            return
        base: dict[str, Any] = {"claim_id": c.id, "actor": user or "", "expected_version": seen}
        with st.form("c_lost_form", border=False):
            quote = st.text_area(
                "New quote (exact words of the current text; empty: the proposed sentence)",
                key="c_lost_quote",
            )
            claim_text = st.text_input(
                "New claim text (optional, e.g. with the new figure)", key="c_lost_claim"
            )
            note = st.text_input("Why dismiss (optional, kept as a note)", key="c_lost_note")
            cols = st.columns(2)
            move = cols[0].form_submit_button(
                "Move to the new sentence",
                type="primary",
                disabled=not auth.can(Action.move_quote),
            )
            dismiss = cols[1].form_submit_button(
                "Dismiss the claim", disabled=not auth.can(Action.dismiss_lost_quote)
            )
        if move:
            done = act(
                "Moved to the new sentence.",
                services.move_lost_claim,
                where="lost",
                quote=quote or None,
                claim_text=claim_text.strip() or None,
                **base,
            )
            if done:
                st.rerun()
        if dismiss:
            done = act(
                "Dismissed: its quote is not in the article.",
                services.dismiss_lost_claim,
                where="lost",
                note=note.strip() or None,
                **base,
            )
            if done:
                st.rerun()
        if (move or dismiss) and "_action_error" in st.session_state:
            refusal("lost")


def _replacement(claim_id: int | None) -> ClaimPublic | None:
    if claim_id is None:
        return None
    try:
        return data.read(queries.get_claim, claim_id=claim_id)
    except NotFound:
        return None


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
    base: dict[str, Any] = {"claim_id": c.id, "actor": user or "", "expected_version": seen}
    if c.pending_confirmation and c.quote_lost:
        st.warning(
            f"Verdict by {md_escape(c.last_reviewed_by)} is not confirmed: its quote is not "
            "in the article's current text; move or dismiss the claim first."
        )
    elif c.pending_confirmation:
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
    if not auth.can("review"):
        st.info(
            f"Read-only: your role ({auth.current_role()}) can read claims but not change them."
        )
        return
    if has_verdict and not auth.can("reopen_verdict"):
        st.info("This claim has a verdict; an editor can confirm or reopen it.")
    disabled = has_verdict and not auth.can("reopen_verdict")

    present = {Stance(s.stance) for s in d.sources}
    blocker = services.verdict_blocker(ClaimStatus.verified, None, present)
    cols = st.columns(6)
    if cols[0].button(
        "✓ Verify",
        type="primary",
        key="c_verify",
        disabled=disabled or c.status == ClaimStatus.verified or blocker is not None,
        help=(blocker.capitalize() + ": add one below (s).") if blocker else "Shortcut: v",
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
    if c.status == ClaimStatus.dismissed or has_verdict:
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
    if auth.can("assign_other"):
        with (
            cols[5].popover("Assign…", width="stretch"),
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
    if blocker and c.status != ClaimStatus.verified:
        st.caption(f"Verify is off: {md_escape(blocker)}. Add one under Sources (press s).")
    refusal("actions")

    if c.status != ClaimStatus.dismissed and not disabled:
        st.text_input(
            "Dismiss reason (optional)",
            key="c_dismiss_reason",
            placeholder="Dismiss reason (optional), e.g. opinion, not a factual claim",
            label_visibility="collapsed",
        )
    if c.below_threshold:
        st.info("This extracted sentence scored below the threshold, so it is not in the queue.")
        if st.button(
            "Promote to the review queue", key="c_promote", disabled=not auth.can("promote")
        ):
            act("Promoted.", services.promote_candidate, claim_id=c.id, actor=user or "")
            st.rerun()
    if flag_open:
        if st.session_state.pop("_clear_flag", False):
            st.session_state["c_flag_note"] = ""
            st.session_state["c_flag_reason"] = None
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
                    where="flag",
                    status=ClaimStatus.flagged.value,
                    reason=reason,
                    note=note,
                    **base,
                ):
                    st.session_state["_close_flag"] = True
                    st.session_state["_clear_flag"] = True
                st.rerun()
            refusal("flag")


# --- editing (editors) -----------------------------------------------------------------

_WORD = re.compile(r"\S+")


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    p_start = text.rfind("\n", 0, start) + 1
    p_end = text.find("\n", end)
    return p_start, len(text) if p_end < 0 else p_end


def words_of(text: str, p_start: int, p_end: int) -> list[tuple[int, int]]:
    """The (start, end) article offsets of each word of the paragraph."""
    return [(p_start + m.start(), p_start + m.end()) for m in _WORD.finditer(text[p_start:p_end])]


def _word_at(words: list[tuple[int, int]], offset: int, *, end: bool) -> int:
    for i, (a, b) in enumerate(words):
        if (a < offset <= b) if end else (a <= offset < b):
            return i
    return len(words) - 1 if end else 0


def _fill_edit_form(d: ClaimDetail, text: str) -> None:
    """When the edit form opens: the claim as it is now."""
    c = d.claim
    st.session_state["c_edit_claim"] = c.claim
    st.session_state["c_edit_section"] = c.section or ""
    st.session_state["c_edit_type"] = c.claim_type
    words = words_of(text, *paragraph_bounds(text, c.quote_start, c.quote_end))
    if words:
        labels = word_labels(text, words)
        st.session_state["c_edit_from"] = labels[_word_at(words, c.quote_start, end=False)]
        st.session_state["c_edit_to"] = labels[_word_at(words, c.quote_end, end=True)]


def word_labels(text: str, words: list[tuple[int, int]]) -> list[str]:
    """The slider's stops: each word numbered (a word may occur twice in a paragraph)."""
    return [f"{i + 1}: {text[a:b]}" for i, (a, b) in enumerate(words)]


def edit(d: ClaimDetail, user: str | None, seen: int, text: str) -> None:
    """An editor's change of text, quote (a span of the paragraph), section and type,
    through ``services.update_claim`` (version check and audit trail there)."""
    c = d.claim
    if not auth.can("edit_claim"):
        return
    if st.session_state.pop("_close_edit", False):
        st.session_state["c_edit_open"] = False
    if not st.toggle("✎ Edit claim", key="c_edit_open", help="Shortcut: e"):
        st.session_state.pop("_c_edit_for", None)  # reopening starts from the claim as it is
        return
    if st.session_state.get("_c_edit_for") != c.id:
        _fill_edit_form(d, text)
        st.session_state["_c_edit_for"] = c.id
    p_start, p_end = paragraph_bounds(text, c.quote_start, c.quote_end)
    words = words_of(text, p_start, p_end)
    # a lost quote's offsets are an earlier revision's: no span of this text to offer
    located_ok = not c.quote_lost and 0 <= c.quote_start < c.quote_end <= len(text) and bool(words)
    span: tuple[int, int] | None = None
    with st.container(border=True):
        st.markdown("**Edit the claim** (an edit of text or quote needs a new confirmation)")
        if located_ok:
            labels = word_labels(text, words)
            st.caption("Quote: choose its first and last word in the paragraph")
            chosen = (
                st.select_slider("Quote starts at", options=labels, key="c_edit_from"),
                st.select_slider("Quote ends at", options=labels, key="c_edit_to"),
            )
            first, last = sorted(labels.index(v) for v in chosen)
            span = (words[first][0], words[last][1])
            unmoved = (
                _word_at(words, c.quote_start, end=False),
                _word_at(words, c.quote_end, end=True),
            )
            if (first, last) == unmoved:  # keep the exact quote (it may end inside a word)
                span = (c.quote_start, c.quote_end)
            st.markdown(paragraph_with_quote(text, *span))
        elif c.quote_lost:
            st.caption("The quote is lost: move the claim to a sentence of the text above.")
        else:
            st.caption("The quote is not at its place in the article; fix it with the CLI import.")
    with st.form("c_edit_form", border=True):
        claim_text = st.text_area("Claim", key="c_edit_claim", max_chars=2000)
        e1, e2 = st.columns(2)
        section = e1.text_input("Section", key="c_edit_section")
        types = [t.value for t in ClaimType]
        claim_type = e2.selectbox("Type", types, key="c_edit_type")
        if st.form_submit_button("Save changes", type="primary"):
            changes: dict[str, Any] = {
                "claim": claim_text,
                "section": section.strip() or None,
                "claim_type": claim_type,
            }
            if span is not None and span != (c.quote_start, c.quote_end):
                a, b = span
                changes |= {"quote": text[a:b], "quote_start": a, "quote_end": b}
            if act(
                "Claim edited.",
                services.update_claim,
                where="edit",
                claim_id=c.id,
                changes=ClaimUpdate(**changes),
                actor=user or "",
                expected_version=seen,
            ):
                st.session_state["_close_edit"] = True
            st.rerun()
        refusal("edit")


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
                where="rate",
                claim_id=c.id,
                changes=RatingUpdate(rating=rating, verdict_summary=summary),
                actor=user or "",
                expected_version=seen,
            )
            st.rerun()
        refusal("rate")


def _add_source(claim_id: int, user: str | None) -> None:
    """The source form's submission (a callback: it runs before the next run draws the page).
    Accepted: the fields are emptied; refused: they keep what was typed."""
    get = st.session_state.get
    if act(
        "Source added.",
        services.add_source,
        where="source",
        claim_id=claim_id,
        url=get("c_src_url") or "",
        stance=get("c_src_stance") or Stance.supports.value,
        title=get("c_src_title") or None,
        publisher=get("c_src_publisher") or None,
        actor=user or "",
    ):
        for key in ("c_src_url", "c_src_title", "c_src_publisher"):
            st.session_state[key] = ""


def _add_note(claim_id: int, user: str | None) -> None:
    """The note form's submission, as :func:`_add_source`."""
    if act(
        "Note added.",
        services.add_note,
        where="note",
        claim_id=claim_id,
        body=st.session_state.get("c_note_body") or "",
        actor=user or "",
    ):
        st.session_state["c_note_body"] = ""


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
            status = f" (HTTP {s.http_status})" if s.http_status else ""
            extra = [badge(f"link {link_label}{status}", link_colour)]
            if s.archived_url:
                extra.append(safe_link("archived copy", s.archived_url))
            extra.append(f"added by {md_escape(s.added_by)} {s.added_at:%Y-%m-%d %H:%M}")
            line = source_line(s.stance, s.title or s.page_title or s.url, s.url, s.publisher)
            st.markdown(lines(line, fine_print(" · ".join(extra))))
    if not auth.can("add_source"):
        return  # read-only: no input boxes
    # not clear_on_submit: a refused source keeps what was typed
    with st.form("c_source_form"):
        st.markdown("**Add a source**")
        st.text_input("URL (http or https)", key="c_src_url")
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Stance", [x.value for x in Stance], key="c_src_stance")
        c2.text_input("Title", key="c_src_title")
        c3.text_input("Publisher", key="c_src_publisher")
        # a callback: the source is added before the run that draws it, one run not two
        st.form_submit_button("Add source", on_click=_add_source, args=(d.claim.id, user))
        refusal("source")


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
        st.caption(data.match_status(data.database_url()).explain(live=True))
        return
    st.caption("Most similar first. Reusing adds sources only; the verdict stays yours.")
    for m in matches:
        with st.container(border=True):
            verdict = m.verdict or "no rating"
            if m.rating:
                verdict += f" → {m.rating}"
            where = f"article {m.where}" if m.kind == "claim" else m.where
            about = [
                f"{m.kind} #{m.id}",
                md_escape(where),
                m.date.isoformat() if m.date else None,
                md_escape(m.title),
                "matched: " + md_escape(", ".join(m.words)) if m.words else None,
            ]
            badges = [
                badge(m.kind, "blue" if m.kind == "claim" else "violet"),
                badge(verdict, "orange"),
                badge(f"similarity {m.score:.2f}", "gray"),
            ]
            found = [
                (f"[{src['stance']}] " if src.get("stance") else "")
                + safe_link(src.get("title") or src.get("url") or "", src.get("url") or "")
                for src in m.sources
            ]
            st.markdown(
                lines(
                    " ".join(badges),
                    md_escape(m.text),
                    fine_print(join_nonempty(about, " · ")),
                    *found,
                )
            )
            refusal("reuse")
            if m.sources and st.button(
                "Reuse its sources",
                key=f"c_reuse_{m.kind}_{m.id}",
                disabled=not auth.can("add_source"),
                help="Add its sources to this claim as new sources (recorded in the history)",
            ):
                act(
                    "Sources reused.",
                    services.reuse_sources,
                    where="reuse",
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
            when = f"{md_escape(n.author)} · {n.created_at:%Y-%m-%d %H:%M} UTC"
            st.markdown(lines(fine_print(when), md_escape(n.body)))
    if not auth.can("add_note"):
        return  # read-only: no input boxes
    with st.form("c_note_form"):  # a refused note keeps what was typed
        st.text_area("Add a note", key="c_note_body", help="Shortcut: n")
        st.form_submit_button("Add note", on_click=_add_note, args=(d.claim.id, user))
        refusal("note")


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
    entries = []
    for e in reversed(d.events):
        detail = f" ({md_escape(e.detail)})" if e.detail else ""
        entries.append(f"`{e.at:%Y-%m-%d %H:%M}` **{md_escape(e.actor)}** {_describe(e)}{detail}")
    if entries:  # one element, a paragraph an event: the page draws one, not dozens
        st.markdown("\n\n".join(entries))


@st.dialog("Keyboard shortcuts")
def shortcut_help() -> None:
    st.markdown(shortcuts.help_markdown(shortcuts.CLAIM_SHORTCUTS))


def navigation(d: ClaimDetail, user: str | None) -> None:
    """Back to the queue, previous / next within the queue's filters, next unreviewed
    (also within them), and the claim in its article."""
    cid = d.claim.id
    filters = state.current_filters(user)
    nav = st.columns([1, 1, 1, 1.4, 1.2, 2.4], vertical_alignment="center")
    if nav[0].button("← Queue", key="c_back", width="stretch"):
        st.switch_page("views/queue.py")
    for col, label, key, backwards in (
        (nav[1], "↑ Previous", "c_prev_in_filter", True),
        (nav[2], "↓ Next", "c_next_in_filter", False),
    ):
        other = data.read(queries.next_claim_id, after_id=cid, filters=filters, backwards=backwards)
        if col.button(
            label,
            key=key,
            disabled=other in (None, cid),
            help=f"{label[2:]} claim within the queue's filters ({'k' if backwards else 'j'})",
            width="stretch",
        ):
            go_to(other or cid)
    nxt = data.read(queries.next_claim_id, after_id=cid, filters=queries.unreviewed_in(filters))
    if nav[3].button(
        "Next unreviewed →",
        key="c_next",
        disabled=nxt is None or nxt == cid,
        type="primary",
        help="The next unreviewed claim within the queue's filters",
        width="stretch",
    ):
        go_to(nxt or cid)
    # A link (new tab, still signed in) rather than a page switch: only a real
    # navigation honours the #claim-N anchor, so the article opens scrolled to the claim.
    nav[4].markdown(
        f"[:material/article: See in article](<{article_claim_url(d.claim.article, cid)}>)"
    )
    with nav[5]:
        if st.button("Shortcuts (?)", key="c_keys", type="tertiary"):
            shortcut_help()
    st.caption("Within: " + md_escape(state.describe(filters)))


def render() -> None:
    user = auth.current_user()
    cid = claim_id_from_request()
    state.show_flashes()
    state.sync_filters_with_url(besides={"id"})  # a link from a filtered queue
    if cid is None:
        st.title("Claim")
        st.info("No claim chosen. Open one from the review queue, or go to the next unreviewed.")
        nxt = data.read(
            queries.next_claim_id, filters=queries.unreviewed_in(state.current_filters(user))
        )
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
    st.session_state["a_focus"] = cid  # the article view scrolls to this claim

    navigation(d, user)
    header(d, text)
    conflict_banner(d, seen)
    lost_quote(d, user, seen)
    actions(d, user, seen)
    edit(d, user, seen, text)
    publication(d, user, seen)
    st.divider()
    left, right = st.columns([3, 2], gap="large")
    with left:
        sources(d, user)
        notes(d, user)
    with right:
        checked_before(d, user)
        history(d)
    st.caption(f"Version {d.claim.version} · status colours: " + status_legend())
    shortcuts.install(shortcuts.CLAIM_SHORTCUTS)


render()
