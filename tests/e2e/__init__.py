"""Browser end-to-end tests: real `station run --demo` subprocesses driven by Debian's Chromium."""
