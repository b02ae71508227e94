"""Who is using the dashboard: sign-in, sign-out and the current account.

Two ways in: local accounts (name and password, checked by
``tracker.services.authenticate`` with its rate limit), and OIDC through
Streamlit's ``st.login`` when ``.streamlit/secrets.toml`` has an ``[auth]``
section; the signed-in e-mail must belong to an account. Without a signed-in
account the dashboard shows only the sign-in page. Roles are enforced by the
services; the pages only hide what a role cannot do.

Staying signed in (#11): a password sign-in starts a server-side session
(:func:`tracker.services.start_session`) whose random token the browser keeps
in the ``tracker_session`` cookie, set and deleted by the cookie component of
the maintained ``extra-streamlit-components`` (``SameSite=Strict``, ``Path=/``,
``Secure`` when the page is served over https, expiring with the session) and
read back with Streamlit's own ``st.context.cookies``. The token is made by the
server (:func:`tracker.services.new_token`) and put in the cookie while the
sign-in form shows, unbound; signing in binds it to the new session, so the
pages show at once instead of after another round trip to the browser
(:func:`sync_cookie`). A cookie naming no session is never an error, and one
this tab did not put there is left alone. A run without a signed-in
browser session (a reload, a new tab, a link such as ``/claim?id=12``) resumes
the session the cookie names (:func:`resume_from_cookie`). Every run checks
that the session still lives (:func:`end_stale_session`): signing out in another
tab, a password, role or access change, 12 hours idle or 7 days end it at the
next action. Sessions without a token (OIDC, which Streamlit keeps in its own
cookie) are checked against the account's ``session_epoch`` as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components
from extra_streamlit_components import CookieManager
from streamlit.delta_generator import DeltaGenerator

from dashboard import data
from dashboard.render import md_escape
from tracker import permissions, services
from tracker.config import get_settings
from tracker.errors import PermissionDenied, TrackerError, UnknownSession
from tracker.services import accounts as account_service

USER_KEY = "signed_in"
ERROR_KEY = "_auth_error"
PASSWORD_KEYS = ("pw_current", "pw_new", "pw_again")
NAME_KEY, PASSWORD_KEY = "si_name", "si_password"  # the sign-in form's fields
COOKIE = "tracker_session"
COOKIE_OP = "_cookie_op"  # ("set", token, expires) or ("delete",), until the browser did it
COOKIE_TRIED = "_cookie_tried"  # the cookie token this browser session already tried
# The package's own cookie component, declared here on the frontend it ships.
# Its CookieManager class mounts a second component ("getAll") before any set
# or delete: one more iframe to load and one more rerun between a sign-in and
# the queue, for a copy of the cookies that st.context.cookies already gives.
COOKIE_FRONTEND = Path(inspect.getfile(CookieManager)).parent / "frontend" / "build"
_cookie_component = components.declare_component("cookie", path=str(COOKIE_FRONTEND))
# the component's widget keys: session_state[key] is True once the browser did it
SET_KEY, DELETE_KEY, PRESET_KEY = "cookie_set", "cookie_delete", "cookie_preset"
PRELOAD = "tracker_no_such_cookie"  # what the sign-in page's component asks for
# A token put in the cookie while the sign-in form shows, bound to the session at
# sign-in: (token, expires, made). Used when the browser confirmed it and it is fresh.
# Short-lived and never reused after a refused attempt: whoever reads the cookie
# before the reviewer signs in (on a shared machine, say) knows the session's
# token-to-be, as anyone with the browser knows the cookie after sign-in.
PRESET = "_cookie_preset"
PRESET_FRESH = timedelta(minutes=10)
# The cookie this tab loaded with names no session: perhaps another tab's preset,
# which that tab may yet sign in with, so this tab leaves the cookie alone.
FOREIGN = "_cookie_foreign"
# Which account this tab was signed in as, in the tab's own sessionStorage: a reload
# must not silently turn the tab into the account another tab signed in as since.
TAB_FRONTEND = Path(__file__).parent / "tabmemory"
_tab_component = components.declare_component("tabmemory", path=str(TAB_FRONTEND))
RESUMED = "_resumed"  # the account the cookie names, until this tab's memory agrees
TAB_CHECK_KEY = "tab_check"  # the component's report: {"before": name or "", ...}
TAB_NOTED = "_tab_noted"  # the account this tab's memory holds now
SWITCHED = (
    "This tab was signed in as {before}; since then this browser signed in as {now} "
    "in another tab, and a browser keeps one session. Sign in again to go on here."
)
STALE = (
    "You were signed out: this account's password, role or access changed "
    "in another session. Sign in again."
)


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def current_account() -> dict[str, Any] | None:
    account: dict[str, Any] | None = st.session_state.get(USER_KEY)
    return account


def current_user() -> str | None:
    """The acting account's name, or None when nobody is signed in."""
    account = current_account()
    return account["name"] if account else None


def current_role() -> str | None:
    account = current_account()
    return account["role"] if account else None


def can(action: str) -> bool:
    return permissions.can(current_role(), action)


def resolve_oidc() -> None:
    """Map an OIDC sign-in to its account (once per session)."""
    if current_account() or not oidc_configured():
        return
    user = getattr(st, "user", None)
    if user is None or not getattr(user, "is_logged_in", False):
        return
    try:
        account = data.read(services.user_by_email, email=str(user.get("email", "")))
    except TrackerError as exc:
        st.session_state[ERROR_KEY] = str(exc)
        return
    _remember(account.name, account.role, account.session_epoch, oidc=True)


def _remember(name: str, role: str, epoch: int, **extra: Any) -> None:
    """What a signed-in browser session holds: the account, its epoch, how it signed in."""
    st.session_state[USER_KEY] = {"name": name, "role": role, "epoch": epoch, **extra}


def resume_from_cookie() -> None:
    """Sign this browser session in from the session cookie, when it names a live session.

    Tried once per cookie value, so a dead cookie does not cost a query per rerun.
    """
    if current_account():
        return
    token = _cookie_token()
    if not token or st.session_state.get(COOKIE_TRIED) == token:
        return
    st.session_state[COOKIE_TRIED] = token
    try:
        account = data.write(services.resume_session, token=token)
    except UnknownSession:
        # Never bound (another tab's sign-in page put it there), signed out or cleaned
        # up: nothing to tell the reviewer, and the cookie stays for that other tab.
        st.session_state[FOREIGN] = True
        return
    except PermissionDenied as exc:  # expired, idled out or outlived an account change
        st.session_state[ERROR_KEY] = str(exc)
        st.session_state[COOKIE_OP] = ("delete",)
        return
    except TrackerError as exc:  # busy or unreachable: keep the cookie, try again next run
        st.session_state[ERROR_KEY] = str(exc)
        st.session_state.pop(COOKIE_TRIED, None)
        return
    # adopted once this tab's memory says it was this account, or no account (check_tab)
    st.session_state[RESUMED] = {
        "name": account.name,
        "role": account.role,
        "epoch": account.epoch,
        "token": token,
    }


def check_tab(slot: DeltaGenerator) -> None:
    """A session resumed from the cookie: adopt it when this tab was signed in as the same
    account or as none (a new tab); when it was another account's tab, say so and show
    the sign-in form instead of acting as the cookie's account.

    The cookie is the browser's, not the tab's: after another tab signs in as someone
    else, it names that account, and a reload would otherwise switch accounts silently.
    """
    resumed = st.session_state.get(RESUMED)
    if not resumed:
        return
    with slot.container():
        report = _tab_component(name="", key=TAB_CHECK_KEY, default=None)
    if not isinstance(report, dict):
        return  # the browser has not answered yet: storing_cookie_page meanwhile
    del st.session_state[RESUMED]
    before = str(report.get("before") or "")
    if before and before != resumed["name"]:
        st.session_state[ERROR_KEY] = SWITCHED.format(before=before, now=resumed["name"])
        st.session_state[FOREIGN] = True  # the cookie is the other tab's: leave it alone
        st.session_state[NAME_KEY] = before
        return
    token = resumed.pop("token")
    _remember(resumed["name"], resumed["role"], resumed["epoch"], token=token)
    st.session_state[TAB_NOTED] = before or None


@st.fragment
def _note_tab(name: str) -> None:
    """Remember ``name`` in this tab's memory; its report reruns this fragment only."""
    report = _tab_component(name=name, key=f"tab_note_{_digest(name)}", default=None)
    if isinstance(report, dict) and report.get("name") == name:
        st.session_state[TAB_NOTED] = name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def end_stale_session() -> None:
    """Sign out when this browser's session ended or its account changed elsewhere.

    A session with a token must still be live (:func:`tracker.services.resume_session`,
    which also keeps it from idling out). One without (OIDC, or a test's
    session state) is checked against the account's epoch; no stored epoch
    counts as 0, the epoch of an account that never changed.
    """
    account = current_account()
    if not account:
        return
    token = account.get("token")
    if token:
        try:
            live = data.write(services.resume_session, token=token)
        except PermissionDenied as exc:
            # an account change deletes the sessions: say so rather than "ended"
            changed = _epoch(account["name"]) != account.get("epoch", 0)
            sign_out(ended=True)
            st.session_state[ERROR_KEY] = STALE if changed else str(exc)
            return
        except TrackerError as exc:  # busy or unreachable: stay signed in, say so, retry next run
            st.error(md_escape(f"The session could not be checked: {exc}"))
            return
        st.session_state[USER_KEY] = {**account, "role": live.role, "epoch": live.epoch}
        return
    try:
        epoch = data.read(account_service.session_epoch, name=account["name"])
    except TrackerError as exc:
        sign_out(ended=True)
        st.session_state[ERROR_KEY] = str(exc)
        return
    if epoch != account.get("epoch", 0):
        sign_out(ended=True)
        st.session_state[ERROR_KEY] = STALE


def _epoch(name: str) -> int | None:
    try:
        return data.read(account_service.session_epoch, name=name)
    except TrackerError:
        return None


def sign_in_page() -> None:
    with st.columns([1, 2, 1])[1]:  # a form of a readable width, not the whole screen
        _sign_in_form()


def _sign_in_form() -> None:
    st.title("Sign in")
    st.caption("tracker · fact-check desk")
    # kept until the next attempt: the cookie component's own reruns must not hide it
    error = st.session_state.get(ERROR_KEY)
    if error:
        st.error(md_escape(error))
    with st.form("sign_in", border=True):
        st.text_input("Account name", key=NAME_KEY)
        st.text_input("Password", type="password", key=PASSWORD_KEY)
        # a callback: it runs before the next run, which then draws "Signing in…"
        # at once rather than the form again and then a rerun
        st.form_submit_button("Sign in", type="primary", on_click=_sign_in)
    if oidc_configured() and st.button("Sign in with your organisation", key="si_oidc"):
        st.login()


def _sign_in() -> None:
    """The sign-in form's submission: check the password, start the server session."""
    st.session_state.pop(ERROR_KEY, None)
    try:
        account = data.read(
            services.authenticate,
            name=st.session_state.get(NAME_KEY, ""),
            password=st.session_state.get(PASSWORD_KEY, ""),
        )
        preset = _stored_preset()
        started = data.write(
            services.start_session, name=account.name, epoch=account.session_epoch, token=preset
        )
    except TrackerError as exc:
        st.session_state[ERROR_KEY] = str(exc)
        st.session_state[PASSWORD_KEY] = ""  # the name stays; a refused password does not
        st.session_state.pop(PRESET, None)  # the next attempt gets a new token
        return
    signed = started.account
    _remember(signed.name, signed.role, signed.epoch, token=started.token)
    # The browser stores the token before the pages show, the preset too: the last
    # sign-in owns the cookie, and another tab may have replaced the preset meanwhile
    # (signing in as someone else), so the cookie would name that tab's account.
    st.session_state[COOKIE_OP] = ("set", started.token, signed.expires_at)
    st.session_state.pop(PRESET, None)
    st.session_state.pop(PASSWORD_KEY, None)


def _stored_preset() -> str | None:
    """The preset token, if the browser has stored it and it is fresh.

    Fresh: made within :data:`PRESET_FRESH`, so the cookie (which expires
    ``session_max_age`` after it was made) ends at most that much before the session.
    """
    preset = st.session_state.get(PRESET)
    if not preset or st.session_state.get(preset_key(preset[0])) is not True:
        return None
    token, _expires, made = preset
    return token if datetime.now(UTC) - made < PRESET_FRESH else None


def sign_out(*, ended: bool = False) -> None:
    """Forget the signed-in account here; end its server session unless it ``ended`` already.

    Nothing of the browser session outlives it except the order to delete the
    cookie and the note that the cookie this tab loaded with was tried.
    """
    account = st.session_state.pop(USER_KEY, None) or {}
    token = account.get("token")
    if token and not ended:
        # if the database cannot be reached the row idles out; this browser forgets it anyway
        with contextlib.suppress(TrackerError):
            data.write(services.end_session, token=token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if token:
        st.session_state[COOKIE_OP] = ("delete",)
        st.session_state[COOKIE_TRIED] = _cookie_token()
    if account.get("oidc"):
        st.logout()


def sync_cookie(slot: DeltaGenerator) -> None:
    """Carry out a pending cookie change in the browser, where the component runs.

    The component's value turns True once the browser has done it (which
    reruns the page); until then the order is rendered again on every run.

    The component goes in ``slot``, a placeholder the app draws first on every
    run, empty or not, so the page below keeps its place in the element tree
    when the component goes away (and a message drawn before this call, such as
    a busy database's, does not move it).

    On the sign-in page the component already puts a new token in the cookie
    while the reviewer types (:func:`_preset_cookie`); signing in binds that
    token to the session, and the pages show at once. Not when the cookie this
    tab loaded with may be another tab's preset (:data:`FOREIGN`): then the
    component only loads (asking for a cookie that never exists: no answer, no
    rerun), and signing in hands it the new token and waits for the browser.
    (While a dead cookie is being deleted, a tenth of a second, the slot holds
    the delete instead.)
    """
    op = st.session_state.get(COOKIE_OP)
    if op and st.session_state.get(_op_key(op)) is True:
        # the browser did it (this run is the component's report): the component goes
        # now, before the page is drawn under it, not at the reviewer's first click
        st.session_state.pop(COOKIE_OP, None)
        op = None
    account = current_account()
    if st.session_state.get(RESUMED):
        return  # check_tab has the slot
    # this tab remembers its account while the sign-in's cookie is stored, or at once
    name = account["name"] if account and not account.get("oidc") else None
    note = name if name and st.session_state.get(TAB_NOTED) != name else None
    if not op and account is not None:
        if note:
            with slot.container():
                _note_tab(note)
        return
    with slot.container():
        if note:
            _note_tab(note)
        if not op and not st.session_state.get(FOREIGN):
            if PRESET not in st.session_state:
                made = datetime.now(UTC)
                expires = made + get_settings().session_max_age
                st.session_state[PRESET] = (services.new_token(), expires, made)
            token, expires, _made = st.session_state[PRESET]
            _preset_cookie(token, _cookie_options(expires))
        elif not op:
            _cookie_component(method="get", cookie=PRELOAD, key=SET_KEY)
        elif op[0] == "set":
            _, token, expires = op
            options = _cookie_options(expires)
            _cookie_component(
                method="set", cookie=COOKIE, value=token, options=options, key=SET_KEY
            )
        else:
            _cookie_component(method="delete", cookie=COOKIE, key=DELETE_KEY)


def _op_key(op: tuple[Any, ...]) -> str:
    return SET_KEY if op[0] == "set" else DELETE_KEY


@st.fragment
def _preset_cookie(token: str, options: dict[str, Any]) -> None:
    """Put ``token`` in the cookie; its report reruns this fragment only.

    A rerun of the whole page at that moment could swallow a sign-in submitted
    meanwhile (Streamlit keeps one of the two requests); a fragment's rerun does
    not touch the form.
    """
    _cookie_component(
        method="set", cookie=COOKIE, value=token, options=options, key=preset_key(token)
    )


def preset_key(token: str) -> str:
    """The component's key for this preset: a new token's report starts from nothing, not
    from the True the previous token's component left."""
    return f"{PRESET_KEY}_{hashlib.sha256(token.encode()).hexdigest()[:12]}"


def _cookie_options(expires: datetime) -> dict[str, Any]:
    return {
        "path": "/",
        "expires": expires.isoformat(),  # aware UTC: the browser reads the offset
        "secure": _https(),
        "sameSite": "strict",
    }


def storing_cookie() -> bool:
    """Just signed in, and the browser has not yet confirmed it stored the cookie."""
    op = st.session_state.get(COOKIE_OP) or ("",)
    resuming = bool(st.session_state.get(RESUMED))
    return resuming or (op[0] == "set" and current_account() is not None)


def storing_cookie_page() -> None:
    """Shown for the moment between a sign-in and the browser's confirmation.

    The cookie component reports back with a rerun of its own; on a page with
    buttons, a click made meanwhile could be lost to it (the component's rerun of
    the page it was sent from wins over the click's page switch). So nothing to
    click but a way on if the browser never confirms (cookies blocked).
    """
    with st.columns([1, 2, 1])[1]:
        st.subheader("Signing in…")
        st.caption("Keeping the session in this browser, so a reload stays signed in.")
        if st.button("Continue without staying signed in", key="si_skip_cookie"):
            st.session_state.pop(COOKIE_OP, None)
            if st.session_state.pop(RESUMED, None):  # no word from the tab: sign in here
                st.session_state[FOREIGN] = True
            st.rerun()


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (AppTest, bare mode)
        return None
    return token if isinstance(token, str) and token else None  # a cookie is a string


def _https() -> bool:
    """Whether the browser sees this page over https (directly or behind a TLS proxy)."""
    url = st.context.url or ""
    forwarded = (st.context.headers.get("X-Forwarded-Proto") or "").split(",")[0].strip()
    return url.startswith("https://") or forwarded.lower() == "https"


def identity_sidebar() -> None:
    account = current_account()
    if not account:
        return
    st.sidebar.markdown(f"Signed in as **{md_escape(account['name'])}** ({account['role']})")
    st.sidebar.button("Sign out", key="sign_out", on_click=sign_out)
    if not account.get("oidc"):
        change_password_form(account)


def change_password_form(account: dict[str, Any]) -> None:
    """Current password and the new one twice; this session stays signed in, others end."""
    outcome = st.session_state.pop("_pw_outcome", None)
    with st.sidebar.expander("Change password", expanded=outcome is not None):
        if outcome:
            kind, message = outcome
            (st.success if kind == "ok" else st.error)(md_escape(message))
        with st.form("change_password", border=False):
            st.text_input("Current password", type="password", key="pw_current")
            st.text_input("New password", type="password", key="pw_new")
            st.text_input("New password again", type="password", key="pw_again")
            st.form_submit_button(
                "Change password", key="pw_submit", on_click=_change_password, args=(account,)
            )


def _change_password(account: dict[str, Any]) -> None:
    """Runs before the rerun, so it may empty the fields: no password outlives the submit."""
    current, new, again = (st.session_state.get(k) or "" for k in PASSWORD_KEYS)
    for key in PASSWORD_KEYS:
        st.session_state[key] = ""
    if new != again:
        st.session_state["_pw_outcome"] = ("error", "the two new passwords differ; nothing changed")
        return
    try:
        changed = data.write(
            account_service.set_password,
            name=account["name"],
            password=new,
            current=current,
            actor=account["name"],
            keep_session=account.get("token"),
        )
    except TrackerError as exc:
        st.session_state["_pw_outcome"] = ("error", str(exc))
        return
    # Keep this session: it carries the new epoch; every other one is stale now.
    st.session_state[USER_KEY] = {**account, "epoch": changed.session_epoch}
    st.session_state["_pw_outcome"] = (
        "ok",
        "Password changed. Your other sessions are signed out.",
    )
