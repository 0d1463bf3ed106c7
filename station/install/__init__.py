"""Turning a Debian mini PC into a bench: the install plan (units, udev, kiosk) and its executor."""
