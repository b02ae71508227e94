"""The Streamlit review dashboard. Pages call tracker's services; no SQL here."""
