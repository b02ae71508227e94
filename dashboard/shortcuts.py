"""Keyboard shortcuts (#11), bound with the maintained ``streamlit-shortcuts`` component.

``streamlit_shortcuts.add_shortcuts(key="v")`` puts one ``keydown`` listener on the
page's document that clicks (and focuses) the element whose widget ``key`` (or
``aria-label``) is named. Reading its source (1.2.2) shows two gaps, which
:func:`install` closes without replacing it:

- it does not look at where the key was typed: a ``v`` typed into a note would verify
  the claim and never reach the note. A guard listener on ``<html>``, which a key
  event passes on its way up *after* the field's own handlers (React's, on the app's
  root) and *before* the document's, stops keys typed in a text input, a text area,
  a select or an editable element (a focused button or toggle keeps the shortcuts);
- its listener is a function of the component's iframe, and once Streamlit remounts
  that iframe (the elements above it changed) the browser no longer calls it, while
  the component believes it is installed. The same function is re-created in the
  page's realm from its own source, once, and keeps reading the component's key map.
The shortcut table below is the one the README and the ``?`` dialog show.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import streamlit as st
from streamlit_shortcuts import add_shortcuts


@dataclass(frozen=True)
class Shortcut:
    keys: tuple[str, ...]  # as streamlit-shortcuts spells them
    target: str  # the widget key (or aria-label) that the shortcut clicks
    what: str
    shown: str  # as the help lists it


CLAIM_SHORTCUTS = (
    Shortcut(("j",), "c_next_in_filter", "next claim within the queue's filters", "j"),
    Shortcut(("k",), "c_prev_in_filter", "previous claim within the queue's filters", "k"),
    Shortcut(("v",), "c_verify", "verify (needs a supporting source)", "v"),
    Shortcut(("f",), "c_flag_open", "flag: opens the flag form", "f"),
    Shortcut(("s",), "c_src_url", "add a source: puts the cursor in its URL field", "s"),
    # a text area is found by its label (aria-label), not its key
    Shortcut(("n",), "Add a note", "add a note: puts the cursor in the note field", "n"),
    Shortcut(("a",), "c_assign_me", "assign the claim to me", "a"),
    Shortcut(("e",), "c_edit_open", "edit the claim (editors)", "e"),
    Shortcut(("shift+?", "?"), "c_keys", "show this list", "?"),
)

# Both pieces below run in the page's own realm (``st.html`` runs its script in the
# page, not in an iframe), not in the component's iframe: Streamlit remounts a
# component's iframe when the elements before it change, and the browser stops
# calling listeners whose iframe is gone.
_PAGE_SCRIPT = r"""
(function () {
  // Keys typed where text goes are the field's, never a shortcut's.
  if (!window.__trackerShortcutGuard) {
    window.__trackerShortcutGuard = true;
    const notText = ['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'file'];
    document.documentElement.addEventListener('keydown', function (e) {
      const t = e.target;
      if (!t || !t.closest) return;
      const typing = t.isContentEditable
        || t.closest('textarea, select, [contenteditable="true"]')
        || (t.tagName === 'INPUT' && !notText.includes(t.type));
      if (typing) e.stopPropagation();
    });
  }
  // streamlit-shortcuts 1.2.2 defines its one listener inside its iframe: re-create the
  // same function here (same code, same key map) so it outlives that iframe.
  const old = window.__streamlitShortcutsListener;
  if (old && !old.__inPage) {
    document.removeEventListener('keydown', old);
    const fresh = (function () {
      const doc = document;
      const parentWindow = window;
      return eval('(' + old.toString() + ')');
    })();
    fresh.__inPage = true;
    window.__streamlitShortcutsListener = fresh;
    document.addEventListener('keydown', fresh);
  }
})();
"""
# the component's iframe defines its listener once it has loaded: look again after it
_GUARD = (
    "<script>\nconst run = () => window.eval("
    + json.dumps(_PAGE_SCRIPT)
    + ");\nrun(); setTimeout(run, 300); setTimeout(run, 1500);\n</script>"
)


def install(shortcuts: tuple[Shortcut, ...]) -> None:
    """Bind ``shortcuts`` on this page (call once per run, after the widgets exist)."""
    add_shortcuts(**{s.target: list(s.keys) for s in shortcuts})
    # our own constant script, no user text; in the page itself, not one more iframe
    st.html(_GUARD, unsafe_allow_javascript=True)


def help_markdown(shortcuts: tuple[Shortcut, ...]) -> str:
    rows = "\n".join(f"| `{s.shown}` | {s.what} |" for s in shortcuts)
    return (
        "| key | does |\n| --- | --- |\n"
        + rows
        + "\n\nShortcuts never fire while you type in a field; press Esc or click "
        "outside it first."
    )
