"""The service layer: every change to the record goes through one function here.

Each use case is one function that opens the unit of work
(:func:`~tracker.services.uow.unit_of_work`), checks the permission with
:func:`tracker.permissions.authorize`, applies every rule and records its
events with :func:`tracker.audit.record_event`, then commits, or changes
nothing. The CLI, the dashboard, the CSV importer and the article importer
call these functions and only translate errors; a use case called from
another (an import applying rows) runs in a savepoint of the caller's
transaction with the same rules. The batch imports write thousands of rows
without calling a use case per row: they call the pure rule functions the
use cases call (``new_claim_values``, ``check_review``, ``verdict_blocker``,
``check_source``, ``check_assignee``, ``duplicate_of``) and record events
with :func:`tracker.audit.record_events`, so each rule still lives in one
place. Nothing outside this package imports its
private helpers (``tests/test_architecture.py`` enforces it).

Which function owns which rule:

=========================  ======================  =====================================
use case                   permission (Action)     rules it owns
=========================  ======================  =====================================
create_claim               edit_claim              quote equals the article text at its
                                                   offsets; limits declared on the model;
                                                   known claim type; score in 0..1
(confirm, rate, review to  (theirs)                not while the quote is lost
a verdict, quote edit)
review_claim               review (+ reopen_       allowed transitions; flag needs reason
                           verdict on a verdict)   and note; verified needs a supporting
                                                   source; flagged false/misleading needs
                                                   a refuting or context source; a new
                                                   status clears the confirmation;
                                                   version compare-and-set
assign_claim               assign_self (take an    assignee is an existing, active
                           unassigned claim) or    account; version compare-and-set
                           assign_other
update_claim               edit_claim              limits; quote matches the article;
                                                   editing text or quote clears the
                                                   confirmation; version compare-and-set
bulk_update                the least of the        each claim through assign_claim or
                           batch (assign_self,     review_claim in its own savepoint, at
                           assign_other or         the version the caller saw; refusals
                           review), then each      reported per claim (conflict, role,
                           claim's own             rule, missing), the rest kept
confirm_verdict            confirm                 only verdicts; not by their reviewer;
                                                   evidence rule still holds; once
promote_candidate          promote                 only below-threshold candidates
move_lost_claim            move_quote              only a lost, not dismissed claim; the
                                                   new quote is the current text at its
                                                   offsets; a verdict goes back to
                                                   in_review; version compare-and-set
dismiss_lost_claim         dismiss_lost_quote      only a lost, not dismissed claim; any
                                                   status; out of the published record;
                                                   version compare-and-set
rate_claim                 rate                    rating on the desk's scale or
                                                   Unverifiable; summary within its
                                                   limit; not a dismissed claim; version
                                                   compare-and-set; published only once
                                                   confirmed, rated and summarised
add_source                 add_source              http(s) URL without credentials; no
                                                   duplicate URL on the claim; stance
add_note                   add_note                limit declared on Note.body
import_claims_csv          import_claims (+ each   all-or-nothing; streamed; a new row
                           row's own permissions)  through the rule functions of
                                                   create_claim and assign_claim
                                                   (new_claim_values, duplicate_of,
                                                   check_assignee), written in chunks;
                                                   an edit through the use cases above
import_mapped_csv          import_claims +         all-or-nothing; streamed; labels
                           edit_claim (+ each      through the label file; verdicts
                           verdict's review and    through the rule functions of
                           add_source)             review_claim and add_source
                                                   (check_review, verdict_blocker,
                                                   check_source); written in chunks; no
                                                   quote in a collection (0:0)
restore_json               restore_database,       empty database only; all-or-nothing;
                           checked against the     rows and events as they were; id
                           restored accounts       sequences advanced; one event
copy_database              copy_database (admin    schema via Alembic; empty target (or
                           of the source)          --force without events); counts and
                                                   sha256 per table verified before
                                                   commit; sequences advanced; one event
import_article             import_article, checked size and safety of what is read;
                           before any fetch        revisions relocate or report quotes;
                                                   candidates through create_claim
check_sources              check_links, checked    SSRF policy; per-request deadline;
                           before any request      link state machine (live, failing,
                                                   dead, blocked)
archive_sources            archive_sources         closest snapshot to when added
create_user, set_role,     manage_users (own       name rules; password length; the last
set_password,              password:               active admin is never demoted or
reset_password,            change_own_password,    disabled; a password, role or
disable_user, enable_user, with the current one)   status change ends the account's
unlock_user                                        other sessions; audited
authenticate               (signing in)            one atomic attempt counter per name,
                                                   known or not: five failures lock it
start_session,             hold_session (end:      only the token's SHA-256 stored; idle
resume_session,            none: the token is      and absolute expiry; the account's
end_session                the credential)         epoch unchanged and the account active
seed                       seed (system actor)     idempotent; same text or refuse
import_references          import_references,      all-or-nothing with line numbers;
                           checked before the      idempotent by URL + claim; vector
                           file is read            stored in the same transaction
refresh_matches            refresh_matches         derived data only (vectors, best
                           (system actor           match); no event; recomputes only
                           ``matching``)           what the index state changed
reuse_sources              add_source              each source through add_source; one
                                                   sources_reused event; never the verdict
=========================  ======================  =====================================
"""

from __future__ import annotations

from .accounts import (
    authenticate,
    create_user,
    disable_user,
    enable_user,
    list_users,
    new_password,
    reset_password,
    session_epoch,
    set_password,
    set_role,
    unlock_user,
    user_by_email,
)
from .articles import ArticleImportReport, import_article, sha256_text
from .claims import (
    TRANSITIONS,
    BulkAction,
    BulkOutcome,
    Refusal,
    add_note,
    add_source,
    assign_claim,
    bulk_update,
    confirm_verdict,
    create_claim,
    locate_quote,
    promote_candidate,
    review_claim,
    update_claim,
    verdict_blocker,
)
from .imports import ImportReport, import_claims_csv
from .links import archive_sources, check_sources
from .lost import dismiss_lost_claim, move_lost_claim
from .mapped_import import MappedImportReport, import_mapped_csv
from .publishing import rate_claim
from .references import (
    ReferenceImportReport,
    RefreshReport,
    import_references,
    refresh_matches,
    reuse_sources,
)
from .seeding import SeedReport, seed
from .sessions import (
    NewSession,
    SessionAccount,
    end_session,
    new_token,
    resume_session,
    start_session,
)
from .transfer import CopyReport, RestoreReport, copy_database, restore_json
from .uow import unit_of_work

__all__ = [
    "TRANSITIONS",
    "ArticleImportReport",
    "BulkAction",
    "BulkOutcome",
    "CopyReport",
    "ImportReport",
    "MappedImportReport",
    "NewSession",
    "ReferenceImportReport",
    "RefreshReport",
    "Refusal",
    "RestoreReport",
    "SeedReport",
    "SessionAccount",
    "add_note",
    "add_source",
    "archive_sources",
    "assign_claim",
    "authenticate",
    "bulk_update",
    "check_sources",
    "confirm_verdict",
    "copy_database",
    "create_claim",
    "create_user",
    "disable_user",
    "dismiss_lost_claim",
    "enable_user",
    "end_session",
    "import_article",
    "import_claims_csv",
    "import_mapped_csv",
    "import_references",
    "list_users",
    "locate_quote",
    "move_lost_claim",
    "new_password",
    "new_token",
    "promote_candidate",
    "rate_claim",
    "refresh_matches",
    "reset_password",
    "restore_json",
    "resume_session",
    "reuse_sources",
    "review_claim",
    "seed",
    "session_epoch",
    "set_password",
    "set_role",
    "sha256_text",
    "start_session",
    "unit_of_work",
    "unlock_user",
    "update_claim",
    "user_by_email",
    "verdict_blocker",
]
