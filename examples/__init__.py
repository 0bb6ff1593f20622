"""Example sites that use consent_sdk."""
