"""Storage that never shows a half-written file: atomic writes and the content-addressed result cache."""
