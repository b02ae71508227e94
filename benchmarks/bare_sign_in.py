"""The floor under the dashboard's first pages: Streamlit alone, nothing of the tracker.

A page laid out as the dashboard's sign-in page (wide layout, a centred column,
the title, a caption, the form with its two fields), served with the dashboard's
options. ``benchmarks/dashboard_e2e.py`` opens it as it opens the sign-in page,
in the same runs, so the time the framework itself takes in this browser on
this machine is printed next to the dashboard's.
"""

import streamlit as st

st.set_page_config(page_title="bare Streamlit", layout="wide")
with st.columns([1, 2, 1])[1]:
    st.title("Sign in")
    st.caption("Streamlit alone")
    with st.form("sign_in", border=True):
        st.text_input("Account name")
        st.text_input("Password", type="password")
        st.form_submit_button("Sign in", type="primary")
