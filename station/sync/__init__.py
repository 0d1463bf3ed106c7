"""The offline bench: a fleet bench inspects into its SQLite spool and syncs with central (deployment.md)."""
