"""What an attempt is, where it is kept (the gradebook) and how it leaves (export)."""
