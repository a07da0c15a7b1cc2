"""MLOps Atlas components: pure, testable modules behind the thin Streamlit pages."""
