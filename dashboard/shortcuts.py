"""Keyboard shortcuts (#11), bound with the maintained ``streamlit-shortcuts`` component.

``streamlit_shortcuts.add_shortcuts(key="v")`` puts one ``keydown`` listener on the
page's document that clicks (and focuses) the element whose widget ``key`` (or
``aria-label``) is named. Version 1.2.2 does not look at where the key was typed: a
``v`` typed into a note would verify the claim and never reach the note. So the
component is used as it is and :func:`install` adds one guard before it: a listener
on ``<html>``, which a key event passes on its way up *after* the field's own
handlers (React's, on the app's root) and *before* the document's, that stops keys
typed in a text input, a text area, a select or an editable element from going
further (a focused button, toggle or checkbox keeps the shortcuts working).
The shortcut table below is the one the README and the ``?`` dialog show.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit.components.v1 as components
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

# Keys typed where text goes are the field's, never a shortcut's.
_GUARD = """<script>
const w = window.parent;
if (!w.__trackerShortcutGuard) {
  w.__trackerShortcutGuard = true;
  w.document.documentElement.addEventListener('keydown', (e) => {
    const t = e.target;
    if (!t || !t.closest) return;
    const notText = ['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'file'];
    const typing = t.isContentEditable
      || t.closest('textarea, select, [contenteditable="true"]')
      || (t.tagName === 'INPUT' && !notText.includes(t.type));
    if (typing) e.stopPropagation();
  });
}
</script>"""


def install(shortcuts: tuple[Shortcut, ...]) -> None:
    """Bind ``shortcuts`` on this page (call once per run, after the widgets exist)."""
    components.html(_GUARD, height=0, width=0)
    add_shortcuts(**{s.target: list(s.keys) for s in shortcuts})


def help_markdown(shortcuts: tuple[Shortcut, ...]) -> str:
    rows = "\n".join(f"| `{s.shown}` | {s.what} |" for s in shortcuts)
    return (
        "| key | does |\n| --- | --- |\n"
        + rows
        + "\n\nShortcuts never fire while you type in a field; press Esc or click "
        "outside it first."
    )
